/**
 * `npm run bench`: runs every registered benchmark in order and prints its figures beside
 * their goals. To add one, import its entry point and add one line to BENCHES.
 * `node dist/bench.js --only client,webviewRender` runs a subset.
 */
import { benchClient } from './client';

type Print = (line: string) => void;
interface Bench {
  name: string;
  run: (root: string, print: Print) => Promise<unknown>;
}

const BENCHES: Bench[] = [
  { name: 'client', run: benchClient },
  { name: 'webviewRender', run: (root, print) => import('./webviewRender').then((m) => m.benchWebviewRender(root, print)) },
  { name: 'activation', run: (root, print) => import('./activation').then((m) => m.benchActivation(root, print)) },
  { name: 'datasetLint', run: (root, print) => import('./datasetLint').then((m) => m.benchDatasetLint(root, print)) },
  { name: 'batch', run: (root, print) => import('./batch').then((m) => m.benchBatch(root, print)) },
  { name: 'pythonTraceback', run: (root, print) => import('./pythonTraceback').then((m) => m.benchPythonTraceback(root, print)) },
  { name: 'dashboardRender', run: (root, print) => import('./dashboardRender').then((m) => m.benchDashboardRender(root, print)) },
  { name: 'runFolders', run: (root, print) => import('./runFolders').then((m) => m.benchRunFolders(root, print)) },
  { name: 'fineTune', run: (root, print) => import('./fineTune').then((m) => m.benchFineTune(root, print)) },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : undefined;
  const root = process.cwd();
  let failed = 0;
  for (const b of BENCHES) {
    if (only && !only.includes(b.name)) continue;
    console.log(`\n== ${b.name} ==`);
    const t0 = Date.now();
    try {
      await b.run(root, (line) => console.log(line));
      console.log(`(${b.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed++;
      console.log(`${b.name} could not run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

void main();
