import type { ChaosEvidence } from './chaos-evidence';
import type { ChaosFigures, ChaosObservation } from './chaos-figures';
import type { ChaosPlan } from './chaos-plan';
import type { FaultRecord } from './fault-schedule';

export interface Check {
  /** `invariant`: what the scaler must hold; `chaos`: that the fault really happened, or the run proves nothing. */
  readonly kind: 'invariant' | 'chaos';
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

const few = (items: readonly string[], n = 5) => (items.length > n ? `${items.slice(0, n).join('; ')}; … ${items.length - n} more` : items.join('; '));

/** The issue's invariants, then one check per fault that it was met. */
export function chaosChecks(plan: ChaosPlan, f: ChaosFigures, o: ChaosObservation, e: ChaosEvidence, faults: FaultRecord, hostsServed: number): Check[] {
  const invariant = (name: string, pass: boolean, detail: string): Check => ({ kind: 'invariant', name, pass, detail });
  const chaos = (name: string, pass: boolean, detail: string): Check => ({ kind: 'chaos', name, pass, detail });
  const { left, busy, secrets } = o;
  const transient = o.deadLetters.filter((d) => d.cause === 'transient');
  const cancels = f.cancelledWaiting + f.cancelledRunning;
  const wanted = Math.round(plan.jobs * plan.cancelRate);
  const rotation = faults.patRotation;
  const kill = faults.hostKill;
  return [
    invariant('0 jobs stranded', f.stranded.length === 0, f.stranded.length ? few(f.stranded) : `${f.served} served, ${cancels} cancelled, of ${f.queued}`),
    invariant(
      '0 containers leaked after two upkeep runs',
      f.containersLeaked === 0,
      `${left.liveContainers} live, ${left.finishedBeyondKeep} finished beyond keepFinished, ${left.orphanedSecrets} orphaned Secrets, ${left.runningAgents} agent processes running` +
        `${f.containersLeaked ? ` (${few(left.names.filter((n) => !n.startsWith('registration')))})` : ''}; ${left.finishedKept} finished kept by design`,
    ),
    invariant(
      '0 registrations leaked after two upkeep runs',
      left.registrations === 0,
      left.registrations ? few(left.names.filter((n) => n.startsWith('registration'))) : 'only the placeholders are left',
    ),
    invariant(
      '0 busy agents stopped',
      f.busyStopped === 0,
      `${busy.abandonedJobs.length} jobs abandoned${busy.abandonedJobs.length ? ` (${few(busy.abandonedJobs.map(String))})` : ''}, ` +
        `${busy.busyRegistrationsDeleted.length} busy registrations deleted${busy.busyRegistrationsDeleted.length ? ` (${few(busy.busyRegistrationsDeleted)})` : ''} ` +
        `of ${busy.registrationsDeleted} deleted by the scaler (${busy.unknownDeleted} never seen by name)`,
    ),
    invariant(
      '0 messages dead-lettered for a transient cause',
      transient.length === 0,
      transient.length ? few(transient.map((d) => `${d.messageId}: ${d.reason} (${d.description})`)) : `${f.badDeadLetters} dead-lettered, all bad messages`,
    ),
    invariant(
      '0 secrets found outside their places',
      // A search that never saw a secret where it belongs would find none anywhere: no proof.
      secrets.findings.length === 0 && secrets.belonging.aciCreates > 0 && secrets.belonging.kubernetesSecrets > 0 && secrets.belonging.hookSubscriptions > 0,
      secrets.findings.length
        ? few(secrets.findings.map((s) => `${s.secret} in ${s.where}`))
        : `${secrets.values} values searched in ${Object.entries(secrets.searched)
            .map(([k, n]) => `${n} ${k}`)
            .join(
              ', ',
            )}; seen where they belong in ${secrets.belonging.aciCreates} ACI creates (secureValue), ${secrets.belonging.kubernetesSecrets} Kubernetes Secret writes and ${secrets.belonging.hookSubscriptions} hook subscription writes (basicAuthPassword)`,
    ),
    chaos(`${plan.jobs} jobs queued`, f.queued === plan.jobs, `${f.queued} queued`),
    chaos(
      `${Math.round(plan.cancelRate * 100)} % of jobs cancelled`,
      cancels === wanted,
      `${cancels} cancelled (${f.cancelledWaiting} waiting, ${f.cancelledRunning} running; ${f.cancelStandIns} stand-ins for jobs already ended)`,
    ),
    chaos(
      'service hook deliveries lost and duplicated',
      f.hookLost > 0 && f.hookDuplicated > 0,
      `${f.hookLost} of ${f.hookEvents} events lost (${pct(f.hookLost, f.hookEvents)}), ${f.hookDuplicated} delivered twice (${pct(f.hookDuplicated, f.hookEvents - f.hookLost)})`,
    ),
    chaos(
      'ARM 429 and 500 bursts met',
      e.armInjected429 > 0 && e.armInjected500 > 0,
      `${e.armInjected429} creates answered 429, ${e.armInjected500} calls answered 500`,
    ),
    chaos('Kubernetes 503s met', e.kubernetesInjected503 > 0, `${e.kubernetesInjected503} calls answered 503`),
    chaos(`Key Vault outage of ${plan.keyVaultOutage.seconds} s met`, e.keyVaultRefused > 0, `${e.keyVaultRefused} Key Vault requests answered 503`),
    chaos(
      'subscription on probation during the Service Bus outage, then enabled again',
      e.probationsInOutage > 0 && e.deliveredAfterProbation,
      `${e.probationsInOutage} probation(s) in the outage, ${f.hookProbations} in the run, ${f.hookDropped} deliveries dropped meanwhile; deliveries resumed: ${e.deliveredAfterProbation ? 'yes' : 'no'}`,
    ),
    chaos(
      'host killed and restarted while the emulators ran',
      kill?.restartedAt !== undefined && hostsServed >= 2,
      kill
        ? `SIGKILL at t+${secs(kill.at - o.startedAt)}, listening again at t+${secs((kill.restartedAt ?? NaN) - o.startedAt)}; ${hostsServed} host processes ran functions`
        : 'no kill',
    ),
    chaos(
      'PAT rotated, old one revoked; agents started after carry only the new one',
      rotation?.revokedWasAccepted === true && e.startsAfterRevoke.oldPat === 0,
      rotation
        ? `Event Grid event taken after ${rotation.eventAttempts ?? '?'} attempt(s); ${e.startsAfterRevoke.newPat} starts after revocation with the new PAT, ${e.startsAfterRevoke.oldPat} with the old; ${e.ado401s} scaler calls to ADO answered 401`
        : 'no rotation',
    ),
    chaos('every scheduled fault applied', faults.errors.length === 0, faults.errors.length ? few(faults.errors) : 'all applied on time'),
    chaos(
      'bad messages dead-lettered as such',
      faults.poisonSent > 0 && f.badDeadLetters === faults.poisonSent,
      `${faults.poisonSent} sent, ${f.badDeadLetters} dead-lettered as bad messages`,
    ),
  ];
}

const pct = (n: number, of: number) => `${of ? ((100 * n) / of).toFixed(1) : '0'} %`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
