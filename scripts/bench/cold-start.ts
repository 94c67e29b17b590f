import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

/**
 * `npm run bench:cold-start`: what a cold Functions instance pays to load the app, per function
 * file and for all of them (the Node worker loads every file `main` names), each in a fresh
 * process, median of `--runs` (default 9). The baseline is `@azure/functions` alone, which every
 * file loads and the worker cannot avoid, so "own" is what the scaler's code adds to it.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const functionsDir = path.join(root, 'dist', 'functions');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 9;

/** Milliseconds to require the modules, in a fresh process (no shared module cache, cold file cache aside). */
function loadMs(modules: readonly string[]): number {
  const script = `const t = performance.now(); for (const m of ${JSON.stringify(modules)}) require(m); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Number(out);
}

function median(modules: readonly string[]): number {
  const samples = Array.from({ length: runs }, () => loadMs(modules)).sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const files = readdirSync(functionsDir)
  .filter((f) => f.endsWith('.js'))
  .sort();
const baseline = median(['@azure/functions']);
const rows: Array<[string, number]> = files.map((f) => [f.replace(/\.js$/, ''), median([path.join(functionsDir, f)])]);
rows.push(['all functions', median(files.map((f) => path.join(functionsDir, f)))]);

console.log(`module load time, median of ${runs} fresh processes, Node ${process.version}`);
console.log(`  ${'file'.padEnd(16)} ${'load (ms)'.padStart(10)} ${'own (ms)'.padStart(10)}`);
console.log(`  ${'@azure/functions'.padEnd(16)} ${baseline.toFixed(1).padStart(10)} ${'-'.padStart(10)}`);
for (const [name, ms] of rows) console.log(`  ${name.padEnd(16)} ${ms.toFixed(1).padStart(10)} ${(ms - baseline).toFixed(1).padStart(10)}`);
