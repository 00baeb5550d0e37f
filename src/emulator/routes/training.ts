import { json, parseWith } from '../http';
import type { AdamParams } from '../lora';
import type { Router } from '../router';
import { ForwardBackwardRequest, ForwardRequest, OptimStepRequest, TrainStepRequest } from '../schemas';
import { submitTrainingOp } from '../trainingQueue';
import type { LiveModel } from '../world';
import { liveModel } from './trainingModels';
import { lossOutput, prepare, requireWeights } from './trainingInput';

const DEFAULT_ADAM: AdamParams = { learning_rate: 1e-4, beta1: 0.9, beta2: 0.95, eps: 1e-12 };

function optimStep(m: LiveModel, adam: AdamParams) {
  const { gradNorm } = m.adapter.adamStep(adam);
  return { 'grad_norm:mean': gradNorm, 'learning_rate:mean': adam.learning_rate, 'step:max': m.adapter.step };
}

/** Every training POST answers `{request_id}` only: MinT's UntypedAPIFuture response model has no other field. */
export function registerTraining(r: Router): void {
  // MinT's order: 422 for a datum without weights, then 404 for the model, then length checks.
  r.add('POST', '/api/v1/forward_backward', (ctx) => {
    const body = parseWith(ForwardBackwardRequest, ctx.body);
    requireWeights(body.forward_backward_input);
    const m = liveModel(ctx.core, body.model_id);
    const batch = prepare(ctx.core, m.run.baseModel, body.forward_backward_input);
    const id = submitTrainingOp(ctx.core, m, 'forward_backward', body.seq_id, ctx.futureFault, () => lossOutput(ctx.core, m, batch, true));
    return json({ request_id: id });
  });

  // No weights rule here: MinT's /forward scores every position of a datum that sends none.
  r.add('POST', '/api/v1/forward', (ctx) => {
    const body = parseWith(ForwardRequest, ctx.body);
    const m = liveModel(ctx.core, body.model_id);
    const batch = prepare(ctx.core, m.run.baseModel, body.forward_input);
    const id = submitTrainingOp(ctx.core, m, 'forward', body.seq_id, ctx.futureFault, () => lossOutput(ctx.core, m, batch, false));
    return json({ request_id: id });
  });

  r.add('POST', '/api/v1/optim_step', (ctx) => {
    const body = parseWith(OptimStepRequest, ctx.body);
    const m = liveModel(ctx.core, body.model_id);
    const id = submitTrainingOp(ctx.core, m, 'optim_step', body.seq_id, ctx.futureFault, () => ({
      type: 'optim_step',
      metrics: optimStep(m, body.adam_params),
    }));
    return json({ request_id: id });
  });

  // MinT's one-op step: the forward_backward output with the optimizer's metrics merged in.
  r.add('POST', '/api/v1/train_step', (ctx) => {
    const body = parseWith(TrainStepRequest, ctx.body);
    requireWeights(body.forward_backward_input);
    const m = liveModel(ctx.core, body.model_id);
    const batch = prepare(ctx.core, m.run.baseModel, body.forward_backward_input);
    const adam = body.adam_params ?? DEFAULT_ADAM;
    const id = submitTrainingOp(ctx.core, m, 'train_step', body.seq_id, ctx.futureFault, () => {
      const out = lossOutput(ctx.core, m, batch, true);
      return { ...out, metrics: { ...out.metrics, ...optimStep(m, adam) } };
    });
    return json({ request_id: id });
  });
}
