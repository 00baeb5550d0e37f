#!/usr/bin/env python3
"""Fine-tune, checkpoint, resume and sample with MinT's Python SDK (mindlab-toolkit 0.2.0).

Runs against MinT or against this repository's local emulator:

    npm run emulator                                  # serves on http://127.0.0.1:8765
    export MINT_BASE_URL=http://127.0.0.1:8765
    export MINT_API_KEY=sk-local                      # any key unless the emulator has --api-key
    python3 examples/python/train_and_sample.py

Every step prints one PASS/FAIL/SKIP line with its wall time; the exit status is the number of
failed steps. Steps that need the emulator's fault rules (a future that fails on the server) run
only when the emulator was started with --faults; pass --no-faults to skip them anywhere.

No tokenizer is needed: the token ids below are Qwen3's (the emulator uses the same tokenizer),
so the script runs without `transformers`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable

import mint
from mint import types

BASE_MODEL = "Qwen/Qwen3-0.6B"

# "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
PROMPT = [151644, 872, 198, 3838, 374, 279, 6722, 315, 9625, 30, 151645, 198, 151644, 77091, 198]
# "The capital of France is Paris.<|im_end|>"
ANSWER = [785, 6722, 315, 9625, 374, 12095, 13, 151645]


def sft_datum(prompt: list[int], answer: list[int], with_weights: bool = True) -> types.Datum:
    """Next-token SFT datum that only learns the answer (the prompt positions weigh 0)."""
    tokens = prompt + answer
    loss_inputs: dict[str, Any] = {"target_tokens": tokens[1:]}
    if with_weights:
        loss_inputs["weights"] = [0.0] * (len(prompt) - 1) + [1.0] * len(answer)
    return types.Datum(model_input=types.ModelInput.from_ints(tokens[:-1]), loss_fn_inputs=loss_inputs)


def mean_loss(out: types.ForwardBackwardOutput) -> float:
    """Loss per answer token, from the per-token logprobs the server returns."""
    total, count = 0.0, 0
    for item in out.loss_fn_outputs:
        logprobs = item["logprobs"].data
        total -= sum(logprobs[len(PROMPT) - 1:])
        count += len(logprobs) - (len(PROMPT) - 1)
    return total / max(count, 1)


class Steps:
    """Runs each step in a worker thread so a hang becomes a FAIL instead of a stuck script."""

    def __init__(self, default_timeout: float) -> None:
        self.default_timeout = default_timeout
        self.results: list[tuple[str, str, float, str]] = []

    def run(self, name: str, fn: Callable[[], str | None], timeout: float | None = None) -> bool:
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["detail"] = fn() or ""
            except BaseException as exc:  # noqa: BLE001 - every failure becomes a FAIL line
                box["error"] = exc

        start = time.monotonic()
        worker = threading.Thread(target=target, name=f"step:{name}", daemon=True)
        worker.start()
        worker.join(timeout if timeout is not None else self.default_timeout)
        elapsed = time.monotonic() - start
        if worker.is_alive():
            status, detail = "FAIL", f"no answer within {elapsed:.0f}s (hung)"
        elif "error" in box:
            err = box["error"]
            status, detail = ("SKIP", str(err)) if isinstance(err, Skip) else ("FAIL", f"{type(err).__name__}: {err}")
        else:
            status, detail = "PASS", box["detail"]
        self.results.append((name, status, elapsed, detail))
        print(f"{status:4} {name:<44} {elapsed:7.2f}s  {detail}"[:400], flush=True)
        return status == "PASS"


class Skip(Exception):
    pass


def expect_raises(exc_type: type[BaseException], fn: Callable[[], Any]) -> BaseException:
    try:
        fn()
    except exc_type as exc:
        return exc
    except BaseException as exc:
        raise AssertionError(f"expected {exc_type.__name__}, got {type(exc).__name__}: {exc}") from exc
    raise AssertionError(f"expected {exc_type.__name__}, but the call succeeded")


def short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"


class EmulatorControl:
    """The emulator's /_emulator/ fault interface (only when started with --faults)."""

    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.origin + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def available(self) -> bool:
        try:
            self._call("GET", "/_emulator/requests?limit=1")
            return True
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def add_fault(self, rule: dict[str, Any]) -> None:
        self._call("POST", "/_emulator/faults", rule)

    def clear_faults(self) -> None:
        self._call("DELETE", "/_emulator/faults")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=4, help="training steps before the checkpoint")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a step may take")
    parser.add_argument("--no-faults", action="store_true", help="skip the steps that need emulator fault rules")
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam learning rate (default 1e-2 on a loopback emulator, whose model is tiny; 1e-4 elsewhere)")
    args = parser.parse_args()

    base_url = os.environ.get("MINT_BASE_URL") or os.environ.get("TINKER_BASE_URL", "")
    local = urllib.parse.urlsplit(base_url).hostname in ("127.0.0.1", "localhost", "::1")
    lr = args.lr if args.lr is not None else (1e-2 if local else 1e-4)
    print(f"mindlab-toolkit {mint.__version__} over tinker {mint.__tinker_version__}; server {base_url or '(SDK default)'}")
    steps = Steps(args.timeout)
    state: dict[str, Any] = {}
    control = EmulatorControl(base_url) if base_url else None
    faults = bool(control and not args.no_faults and control.available())
    adam = types.AdamParams(learning_rate=lr)
    good = [sft_datum(PROMPT, ANSWER)]

    def connect() -> str:
        state["service"] = mint.ServiceClient()
        return f"session {state['service'].holder._session_id}"

    def capabilities() -> str:
        caps = state["service"].get_server_capabilities()
        names = [m.model_name for m in caps.supported_models]
        assert BASE_MODEL in names, f"{BASE_MODEL} not offered; server lists {names}"
        model = next(m for m in caps.supported_models if m.model_name == BASE_MODEL)
        return f"{len(names)} models; {BASE_MODEL} context {model.max_context_length}"

    def create_training_client() -> str:
        tc = state["service"].create_lora_training_client(base_model=BASE_MODEL, rank=8, seed=7)
        state["tc"] = tc
        return f"model_id {tc.model_id}"

    def train() -> str:
        tc, losses = state["tc"], []
        for _ in range(args.steps):
            fb = tc.forward_backward(good, "cross_entropy")
            opt = tc.optim_step(adam)
            losses.append(mean_loss(fb.result(timeout=args.timeout)))
            opt.result(timeout=args.timeout)
        assert losses[-1] < losses[0], f"loss did not fall: {losses}"
        return "loss per answer token " + " -> ".join(f"{x:.3f}" for x in losses)

    def rejected_datum() -> str:
        bad = [sft_datum(PROMPT, ANSWER, with_weights=False)]
        # MinT rejects a batch without loss weights at submit time with 422.
        exc = expect_raises(mint.UnprocessableEntityError, lambda: state["tc"].forward_backward(bad, "cross_entropy").result(timeout=args.timeout))
        return short(exc)

    def train_after_rejection() -> str:
        tc = state["tc"]
        fb = tc.forward_backward(good, "cross_entropy")
        opt = tc.optim_step(adam)
        loss = mean_loss(fb.result(timeout=args.timeout))
        opt.result(timeout=args.timeout)
        return f"loss {loss:.3f}"

    def save_state() -> str:
        resp = state["tc"].save_state("resume-point").result(timeout=args.timeout)
        state["state_path"] = resp.path
        return resp.path

    def checkpoint_id(path: str) -> str:
        """"tinker://<run>/weights/<name>" -> "weights/<name>" (the id REST listings use)."""
        return path.split("://", 1)[-1].split("/", 1)[1]

    def require_training_checkpoint() -> None:
        if checkpoint_id(state["state_path"]).startswith("sampler_weights/"):
            # Some MinT deployments answer save_state with a sampler checkpoint (no optimizer
            # state); resuming with the optimizer then fails on the server.
            raise AssertionError(f"save_state gave a sampler checkpoint ({state['state_path']}); "
                                 "this server cannot resume the optimizer from it")

    def resume() -> str:
        require_training_checkpoint()
        tc = state["tc"]
        before = mean_loss(tc.forward(good, "cross_entropy").result(timeout=args.timeout))
        tc.forward_backward(good, "cross_entropy").result(timeout=args.timeout)
        tc.optim_step(adam).result(timeout=args.timeout)
        moved = mean_loss(tc.forward(good, "cross_entropy").result(timeout=args.timeout))
        tc.load_state_with_optimizer(state["state_path"]).result(timeout=args.timeout)
        after = mean_loss(tc.forward(good, "cross_entropy").result(timeout=args.timeout))
        # Resuming must bring back the saved weights: the loss returns to (near) its value at save.
        assert moved != before, "the extra step did not change the loss, so resuming proves nothing"
        assert abs(after - before) < abs(moved - before) / 2, f"loss after resume {after:.5f}, at save {before:.5f}"
        return f"loss at save {before:.4f}, after another step {moved:.4f}, after resume {after:.4f}"

    def resume_in_new_client() -> str:
        require_training_checkpoint()
        tc2 = state["service"].create_training_client_from_state_with_optimizer(state["state_path"])
        state["tc2"] = tc2
        loss = mean_loss(tc2.forward(good, "cross_entropy").result(timeout=args.timeout))
        tc2.forward_backward(good, "cross_entropy").result(timeout=args.timeout)
        tc2.optim_step(adam).result(timeout=args.timeout)
        return f"new model_id {tc2.model_id}, loss {loss:.4f}, trains on"

    def sample() -> str:
        resp = state["tc"].save_weights_for_sampler("for-sampling").result(timeout=args.timeout)
        state["sampler_path"] = resp.path
        sc = state["service"].create_sampling_client(model_path=resp.path)
        params = types.SamplingParams(max_tokens=8, temperature=0.0)
        out = sc.sample(types.ModelInput.from_ints(PROMPT), num_samples=2, sampling_params=params).result(timeout=args.timeout)
        assert len(out.sequences) == 2, f"{len(out.sequences)} sequences"
        first = out.sequences[0]
        return f"{resp.path}; greedy tokens {first.tokens} ({first.stop_reason})"

    def sample_from_session() -> str:
        sc = state["tc"].save_weights_and_get_sampling_client()
        params = types.SamplingParams(max_tokens=8, temperature=0.7, seed=1)
        out = sc.sample(types.ModelInput.from_ints(PROMPT), num_samples=1, sampling_params=params).result(timeout=args.timeout)
        return f"{len(out.sequences[0].tokens)} tokens"

    def list_runs() -> str:
        rest = state.setdefault("rest", state["service"].create_rest_client())
        runs = rest.list_training_runs(limit=50).result(timeout=args.timeout)
        ids = [r.training_run_id for r in runs.training_runs]
        assert state["tc"].model_id in ids, f"{state['tc'].model_id} not listed in {ids}"
        run = rest.get_training_run(state["tc"].model_id).result(timeout=args.timeout)
        return f"{len(ids)} run(s); ours: base {run.base_model}, lora_rank {run.lora_rank}"

    def list_checkpoints() -> str:
        rest = state.setdefault("rest", state["service"].create_rest_client())
        ckpts = rest.list_checkpoints(state["tc"].model_id).result(timeout=args.timeout).checkpoints
        by_id = {c.checkpoint_id: c for c in ckpts}
        for key in ("state_path", "sampler_path"):
            if key in state:
                assert checkpoint_id(state[key]) in by_id, f"{state[key]} missing; listing has {sorted(by_id)}"
        state["ckpt_ids"] = [c.checkpoint_id for c in ckpts]
        return ", ".join(f"{c.checkpoint_id} ({c.checkpoint_type}) {c.tinker_path}" for c in ckpts)

    def download_archive() -> str:
        rest = state.setdefault("rest", state["service"].create_rest_client())
        if "sampler_path" not in state:
            raise Skip("no sampler checkpoint was saved")
        ckpt = checkpoint_id(state["sampler_path"])
        url = rest.get_checkpoint_archive_url(state["tc"].model_id, ckpt).result(timeout=args.timeout).url
        with urllib.request.urlopen(url, timeout=args.timeout) as resp:
            blob, ctype = resp.read(), resp.headers.get("Content-Type", "")
        # tarfile's "r" mode reads plain and gzip archives alike (MinT serves .tar.gz).
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r") as tar:
            names = tar.getnames()
        gz = blob[:2] == b"\x1f\x8b"
        return f"{len(blob)} bytes, {ctype or '?'}, {'gzip' if gz else 'plain tar'}: {names}"

    def not_found() -> str:
        rest = state.setdefault("rest", state["service"].create_rest_client())
        exc = expect_raises(mint.NotFoundError, lambda: rest.get_training_run("no-such-run_0").result(timeout=args.timeout))
        return short(exc)

    def bad_request() -> str:
        # MinT refuses an unknown base model at submit time with 400.
        exc = expect_raises(mint.BadRequestError, lambda: state["service"].create_lora_training_client(base_model="nobody/NoSuchModel-1B", rank=8))
        return short(exc)

    def failed_future() -> str:
        if not faults:
            raise Skip("needs the emulator started with --faults")
        control.add_fault({"route": "/api/v1/forward_backward", "times": 1,
                           "futureError": {"error": "Operation failed. Contact administrator if issue persists.", "category": "system"}})
        try:
            fut = state["tc"].forward_backward(good, "cross_entropy")
            exc = expect_raises(mint.RequestFailedError, lambda: fut.result(timeout=args.timeout))
        finally:
            control.clear_faults()
        loss = mean_loss(state["tc"].forward_backward(good, "cross_entropy").result(timeout=args.timeout))
        return f"{short(exc)}; next forward_backward fine (loss {loss:.3f})"

    def duplicate_checkpoint_name() -> str:
        # MinT accepts the request and fails its future ("checkpoint already exists"). Uses the
        # second client: the SDK retries a refused save (e.g. 409) for minutes, holding its turn.
        tc2 = state["tc2"]
        tc2.save_state("twice").result(timeout=args.timeout)
        exc = expect_raises(mint.RequestFailedError, lambda: tc2.save_state("twice").result(timeout=args.timeout))
        return short(exc)

    connected = steps.run("connect (ServiceClient)", connect)
    if connected:
        steps.run("get_server_capabilities", capabilities)
    if connected and steps.run(f"create_lora_training_client {BASE_MODEL}", create_training_client):
        steps.run(f"train {args.steps} x forward_backward + optim_step", train, timeout=args.timeout * (args.steps + 1))
        if steps.run("save_state", save_state):
            steps.run("load_state_with_optimizer (resume)", resume, timeout=args.timeout * 3)
            steps.run("create_training_client_from_state_with_optimizer", resume_in_new_client, timeout=args.timeout * 2)
        steps.run("save_weights_for_sampler + sample", sample)
        steps.run("save_weights_and_get_sampling_client + sample", sample_from_session)
        steps.run("rest: list_training_runs + get_training_run", list_runs)
        steps.run("rest: list_checkpoints", list_checkpoints)
        steps.run("rest: download checkpoint archive", download_archive)
        steps.run("failed future -> RequestFailedError", failed_future)
        # Late, so that a server which stalls after a rejected request cannot hide the steps above.
        steps.run("datum without weights -> UnprocessableEntityError", rejected_datum)
        steps.run("forward_backward after the rejection", train_after_rejection)
        if "tc2" in state:
            steps.run("duplicate checkpoint name -> RequestFailedError", duplicate_checkpoint_name)
    if connected:
        steps.run("unknown training run -> NotFoundError", not_found)
        steps.run("unknown base model -> BadRequestError", bad_request)

    failed = [r for r in steps.results if r[1] == "FAIL"]
    passed = sum(1 for r in steps.results if r[1] == "PASS")
    print(f"\n{passed} passed, {len(failed)} failed, {len(steps.results) - passed - len(failed)} skipped")
    sys.stdout.flush()
    # A hung step leaves SDK threads behind; do not wait for them.
    os._exit(min(len(failed), 100))


if __name__ == "__main__":
    main()
