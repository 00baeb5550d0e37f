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

/**
 * Where the snippet imports the client from: this extension's own dist/mint.js, so it runs as given
 * with nothing to install. An ES module specifier must be a file URL on Windows; elsewhere the plain
 * absolute path reads better and is the part a user would edit to point at their own copy.
 */
export function mintModuleSpecifier(mintJsPath: string, platform: NodeJS.Platform = process.platform): string {
  if (platform !== 'win32') return mintJsPath;
  return `file:///${mintJsPath.replace(/\\/g, '/').replace(/^\/+/, '')}`;
}

/**
 * A complete ES module (save as .mjs, or as .ts and run with tsx): every import used, every await
 * inside main() so it runs in CommonJS-compiled TypeScript too, and the client closed at the end
 * (its heartbeat would keep Node alive). With the playground's exact prompt tokens it calls
 * /asample like the playground; without them (no local tokenizer) it sends the text to the
 * OpenAI-compatible endpoint, as the playground's text mode does.
 */
export function typescriptSnippet(s: SnippetInput & { mintJs: string }, promptTokens?: number[]): string {
  const withTokens = promptTokens !== undefined && promptTokens.length <= 4096;
  const lines: string[] = [
    "// MinT for VS Code's client (its dist/mint.js; edit the path to use another copy). The key comes from MINT_API_KEY.",
    '// Save as mint-sample.mjs and run: node mint-sample.mjs',
    `import { ${withTokens ? 'ServiceClient, ModelInput' : 'ServiceClient'} } from ${JSON.stringify(mintModuleSpecifier(s.mintJs))};`,
    '',
    'async function main() {',
    s.baseUrl
      ? `  const service = new ServiceClient({ baseUrl: ${JSON.stringify(s.baseUrl)} });`
      : '  const service = new ServiceClient();',
    '  try {',
  ];
  const body: string[] = [];
  const sp = toSamplingParams(s.params);
  if (withTokens) {
    body.push(
      `const sampling_params = ${JSON.stringify(sp)};`,
      `// The exact prompt tokens the playground sends (${promptTokens.length}).`,
      `const prompt = ModelInput.fromInts(${JSON.stringify(promptTokens)});`,
    );
    s.targets.forEach((t, i) => {
      const target =
        'base_model' in t ? `{ base_model: ${JSON.stringify(t.base_model)} }` : `{ model_path: ${JSON.stringify(t.model_path)} }`;
      body.push(
        '',
        `// ${targetLabel(t)}`,
        `const sampler${i + 1} = await service.createSamplingClient(${target});`,
        `const result${i + 1} = await sampler${i + 1}.sample({`,
        '  prompt,',
        '  sampling_params,',
        `  num_samples: ${s.params.num_samples},`,
        ...(s.params.prompt_logprobs ? ['  prompt_logprobs: true,'] : []),
        ...(s.params.topk_prompt_logprobs ? [`  topk_prompt_logprobs: ${s.params.topk_prompt_logprobs},`] : []),
        '});',
        `for (const seq of result${i + 1}.sequences) console.log(result${i + 1}.request_id, seq.stop_reason, seq.tokens.length, 'tokens');`,
      );
    });
  } else {
    // The OpenAI-compatible routes take no top_k and no seed (they refuse unknown fields).
    const { top_k: _noTopK, seed: _noSeed, ...common } = sp;
    body.push(
      '// No local tokenizer for this model: the text goes to the OpenAI-compatible endpoint (no logprobs).',
      'const oai = service.createOpenAIClient();',
    );
    const rest = Object.entries(common)
      .map(([k, v]) => `, ${k}: ${JSON.stringify(v)}`)
      .join('');
    s.targets.forEach((t) => {
      const model = JSON.stringify(targetLabel(t));
      const req =
        s.prompt.mode === 'chat'
          ? `{ model: ${model}, messages: ${JSON.stringify(s.prompt.messages.map((m) => ({ role: m.role, content: m.content })))}${rest} }`
          : `{ model: ${model}, prompt: ${JSON.stringify(s.prompt.text)}${rest} }`;
      const call = s.prompt.mode === 'chat' ? 'chatCompletions' : 'completions';
      const text = s.prompt.mode === 'chat' ? 'c.message.content' : 'c.text';
      body.push(
        '',
        `// ${targetLabel(t)}${s.params.num_samples > 1 ? ` (the endpoint gives one answer per request: ${s.params.num_samples} requests)` : ''}`,
        `for (let i = 0; i < ${s.params.num_samples}; i++) {`,
        `  const r = await oai.${call}(${req});`,
        `  for (const c of r.choices) console.log(r.id, c.finish_reason, ${text});`,
        '}',
      );
    });
  }
  lines.push(...body.map((l) => (l ? `    ${l}` : l)), '  } finally {', '    await service.close();', '  }', '}', '');
  lines.push('main().catch((e) => {', '  console.error(e);', '  process.exitCode = 1;', '});', '');
  return lines.join('\n');
}
