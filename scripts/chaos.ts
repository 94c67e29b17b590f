import { parseArgs } from 'node:util';
import { chaosPlan } from './chaos/chaos-plan';
import { runChaos } from './chaos/chaos-run';

/**
 * `npm run chaos`: hundreds of jobs on the emulators while everything that can go wrong does —
 * lost and doubled service hook deliveries, ARM 429/500 and Kubernetes 503 bursts, a Key Vault
 * outage, a Service Bus outage that puts the subscription on probation, the Functions host
 * killed and restarted, a PAT rotation with the old PAT revoked, cancelled jobs — then two
 * upkeep runs, and the invariants checked. Exits 1 when any check fails.
 */
const usage = `usage: npm run chaos -- [--seed 1] [--jobs 500] [--arrival-seconds 150]`;

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '500' },
    'arrival-seconds': { type: 'string', default: '150' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const number = (name: string, raw: string, min: number): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name}: "${raw}" is not a whole number of at least ${min}\n${usage}`);
    process.exit(2);
  }
  return n;
};
const seed = number('seed', values.seed, 0);
const plan = chaosPlan(number('jobs', values.jobs, 10), number('arrival-seconds', values['arrival-seconds'], 60));
console.log(
  `ado-agent-scaler chaos run: seed ${seed}, ${plan.jobs} jobs over ${plan.arrivalSeconds} s; ` +
    `${plan.hookLossRate * 100} % of hook deliveries lost, ${plan.hookDuplicateRate * 100} % doubled, ${plan.cancelRate * 100} % of jobs cancelled\n`,
);
runChaos({ seed, plan })
  .then((checks) => {
    const failed = checks.filter((c) => !c.pass);
    console.log(failed.length ? `chaos: ${failed.length} of ${checks.length} checks FAILED` : `chaos: all ${checks.length} checks passed`);
    process.exit(failed.length ? 1 : 0);
  })
  .catch((e: unknown) => {
    console.error(`chaos: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  });
