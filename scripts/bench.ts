import { parseArgs } from 'node:util';
import { errorMessage } from '../src/errors/error-message';
import { installTimeWarp } from './bench/time-warp';

/**
 * `npm run bench`: what users feel, end to end on the emulators. Each scenario (or a user's
 * trace) runs twice in this process — the scaler's real functions, then a KEDA-like baseline
 * polling every 30 s — and prints one table per scenario with the ratios.
 * The whole process runs on a clock `--speed` times faster than the wall clock (see time-warp.ts),
 * so it must be installed before anything else is loaded.
 */
const usage = `usage: npm run bench -- [--scenario burst|steady|lossy|quota|cancel|tiny]... [--trace file.json]
       [--json out.json] [--speed 20] [--poll-seconds 30] [--seed 1] [--vcpu-price 0.0000113] [--gb-price 0.0000012]`;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    trace: { type: 'string' },
    json: { type: 'string' },
    speed: { type: 'string', default: '20' },
    'poll-seconds': { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    'vcpu-price': { type: 'string' },
    'gb-price': { type: 'string' },
    help: { type: 'boolean' },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}
const number = (name: string, raw: string | undefined, min: number): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name}: "${raw}" is not a number of at least ${min}\n${usage}`);
    process.exit(2);
  }
  return n;
};
const speed = number('speed', values.speed, 1);
const date = new Date().toISOString(); // the wall clock's, before the warp
installTimeWarp(speed);

import('./bench/bench-main.js')
  .then((m) =>
    m.benchMain({
      date,
      scenarios: values.scenario ?? [],
      ...(values.trace ? { trace: values.trace } : {}),
      ...(values.json ? { json: values.json } : {}),
      speed,
      pollSeconds: number('poll-seconds', values['poll-seconds'], 1),
      seed: number('seed', values.seed, 0),
      ...(values['vcpu-price'] !== undefined ? { vcpuPrice: number('vcpu-price', values['vcpu-price'], 0) } : {}),
      ...(values['gb-price'] !== undefined ? { gbPrice: number('gb-price', values['gb-price'], 0) } : {}),
    }),
  )
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    console.error(errorMessage(e));
    process.exit(1);
  });
