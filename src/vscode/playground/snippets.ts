/**
 * "View as code": the Python (`import mint`) and TypeScript programs that send the same request.
 * They read the key from MINT_API_KEY: a snippet is meant to be copied, so it never holds one.
 */
import { targetLabel, type Params, type Prompt, type Target } from '../../shared/playground';
import { toSamplingParams } from './convert';

export interface SnippetInput {
  targets: Target[];
  prompt: Prompt;
  params: Params;
  baseUrl: string | undefined;
}

function py(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return JSON.stringify(v); // JSON string escapes are valid Python
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`)
      .join(', ')}}`;
  return String(v);
}

export function pythonSnippet(s: SnippetInput): string {
  const lines: string[] = [
    "# pip install mindlab-toolkit   (MinT's SDK; it reads MINT_API_KEY from the environment)",
    'import mint',
    'from mint import types',
    '',
    s.baseUrl ? `service_client = mint.ServiceClient(base_url=${py(s.baseUrl)})` : 'service_client = mint.ServiceClient()',
    '',
  ];
  if (s.prompt.mode === 'chat') {
    lines.push(`messages = ${py(s.prompt.messages.map((m) => ({ role: m.role, content: m.content })))}`);
  } else {
    lines.push(`prompt_text = ${py(s.prompt.text)}`);
  }
  const sp = toSamplingParams(s.params);
  lines.push(
    `sampling_params = types.SamplingParams(${Object.entries(sp)
      .map(([k, v]) => `${k}=${py(v)}`)
      .join(', ')})`,
    '',
  );
  for (const t of s.targets) {
    const arg = 'base_model' in t ? `base_model=${py(t.base_model)}` : `model_path=${py(t.model_path)}`;
    lines.push(
      `# ${targetLabel(t)}`,
      `sampling_client = service_client.create_sampling_client(${arg})`,
      'tokenizer = sampling_client.get_tokenizer()',
    );
    if (s.prompt.mode === 'chat') {
      lines.push(
        'prompt_text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)',
        'prompt = types.ModelInput.from_ints(tokenizer.encode(prompt_text, add_special_tokens=False))',
      );
    } else {
      lines.push('prompt = types.ModelInput.from_ints(tokenizer.encode(prompt_text))');
    }
    lines.push(
      'result = sampling_client.sample(',
      '    prompt=prompt,',
      `    num_samples=${s.params.num_samples},`,
      '    sampling_params=sampling_params,',
      ...(s.params.prompt_logprobs ? ['    include_prompt_logprobs=True,'] : []),
      ...(s.params.topk_prompt_logprobs ? [`    topk_prompt_logprobs=${s.params.topk_prompt_logprobs},`] : []),
      ').result()',
      'for seq in result.sequences:',
      '    print(seq.stop_reason, tokenizer.decode(seq.tokens))',
      '',
    );
  }
  return lines.join('\n');
}

export function typescriptSnippet(s: SnippetInput, promptTokens?: number[]): string {
  const lines: string[] = [
    "// MinT for VS Code's client (dist/mint.js) and tokenizer; the key comes from MINT_API_KEY.",
    "import { ServiceClient, ModelInput } from './mint';",
    "import { loadTokenizer } from './mint/tokenizer';",
    '',
    s.baseUrl ? `const service = new ServiceClient({ baseUrl: ${JSON.stringify(s.baseUrl)} });` : 'const service = new ServiceClient();',
  ];
  const sp = toSamplingParams(s.params);
  lines.push(`const sampling_params = ${JSON.stringify(sp)};`, '');
  s.targets.forEach((t, i) => {
    const v = `sampler${i + 1}`;
    const target =
      'base_model' in t ? `{ base_model: ${JSON.stringify(t.base_model)} }` : `{ model_path: ${JSON.stringify(t.model_path)} }`;
    lines.push(`// ${targetLabel(t)}`, `const ${v} = await service.createSamplingClient(${target});`);
  });
  lines.push('');
  if (promptTokens && promptTokens.length <= 4096) {
    lines.push(
      `// The exact prompt tokens the playground sent (${promptTokens.length}).`,
      `const promptTokens = ${JSON.stringify(promptTokens)};`,
    );
  } else {
    const base = s.targets.find((t): t is { base_model: string } => 'base_model' in t)?.base_model ?? 'Qwen/Qwen3-0.6B';
    lines.push(`const tokenizer = await loadTokenizer(${JSON.stringify(base)}, { bundledDir: 'dist/tokenizers' });`);
    if (s.prompt.mode === 'chat') {
      lines.push(
        `const text = tokenizer.renderChat(${JSON.stringify(s.prompt.messages)});`,
        'const promptTokens = tokenizer.encode(text, { addSpecialTokens: false });',
      );
    } else {
      lines.push(`const promptTokens = tokenizer.encode(${JSON.stringify(s.prompt.text)});`);
    }
  }
  lines.push('');
  s.targets.forEach((_, i) => {
    lines.push(
      `const result${i + 1} = await sampler${i + 1}.sample({`,
      '  prompt: ModelInput.fromInts(promptTokens),',
      '  sampling_params,',
      `  num_samples: ${s.params.num_samples},`,
      `  prompt_logprobs: ${s.params.prompt_logprobs},`,
      `  topk_prompt_logprobs: ${s.params.topk_prompt_logprobs},`,
      '});',
      `console.log(result${i + 1}.request_id, result${i + 1}.sequences.map((q) => q.tokens.length));`,
    );
  });
  lines.push('await service.close();', '');
  return lines.join('\n');
}
