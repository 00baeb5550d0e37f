// Lint holds the layers that the architecture promises (README "The house"), so they stay true
// without relying on care: which folder may import what, and what activation may load.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['fs', 'path', 'os', 'http', 'https', 'net', 'child_process', 'crypto', 'stream', 'url', 'events', 'util', 'zlib'];

/** Modules the extension reaches only through import(): they go to dist/lazy.js and may load the client. */
const LAZY_HOST_MODULES = [
  'src/vscode/network.ts',
  'src/vscode/serverProbe.ts',
  'src/vscode/playground/!(index|provider).ts',
  'src/vscode/batch/!(index).ts',
  'src/vscode/dashboard/!(index).ts',
  'src/vscode/fineTune.ts',
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-results/**', '**/*.vsix', 'media/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-empty': ['error', { allowEmptyCatch: true }],
      eqeqeq: ['error', 'smart'],
      // TypeScript checks names itself, including globals from @types.
      'no-undef': 'off',
    },
  },
  {
    // The client, the emulator and the shared protocol run outside VS Code (Node, the page).
    files: [
      'src/mint/**',
      'src/emulator/**',
      'src/shared/**',
      'src/python/**',
      'src/batch/**',
      'src/datasets/**',
      'src/runs/**',
      'src/finetune/**',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'This layer runs outside VS Code: keep vscode in src/vscode.' }] },
      ],
    },
  },
  {
    // The page is a browser: no VS Code API, no host code, no Node.
    files: ['src/webview/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'The webview cannot use the VS Code API; post a message to the host.' },
            ...NODE_BUILTINS.map((name) => ({ name, message: 'The webview is a browser page.' })),
          ],
          patterns: [
            { group: ['node:*'], message: 'The webview is a browser page.' },
            {
              group: ['**/vscode/**', '**/mint/**', '**/emulator/**'],
              message: 'The page talks to the host through src/shared/playground.ts only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Activation loads these files: the client (undici, zod) must come in through import() only.
    files: ['src/extension.ts', 'src/vscode/**'],
    ignores: LAZY_HOST_MODULES,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'undici', message: 'Activation must not load undici: reach it through import() (see src/vscode/network.ts).' },
            { name: 'zod', message: 'Activation must not load zod: keep schemas in lazily imported modules.' },
          ],
          patterns: [
            {
              regex: '^(\\.\\./)+mint(/(?!errors$|retryRules$).*)?$',
              allowTypeImports: true,
              message:
                'Activation loads only mint/errors and mint/retryRules (no dependencies); use `import type` or import() for the rest of the client.',
            },
            {
              regex: '^(\\.\\./)+shared/playground$',
              allowTypeImports: true,
              message: 'The playground protocol carries zod: import it from lazily loaded modules only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read the server's JSON as it comes; typing every reply would restate the wire shapes.
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
