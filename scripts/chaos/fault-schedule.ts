import { ServiceBusClient } from '@azure/service-bus';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { errorMessage } from '../../src/errors/error-message';
import { POOL_PAT_SCOPES, type EmulatorStack } from '../local-stack/emulator-stack';
import type { ChaosPlan, Window } from './chaos-plan';
import { deliverEventGrid, secretNewVersionEvent } from './event-grid';
import { faultWindow, type WindowLength } from './fault-windows';
import type { HostSupervisor } from './host-supervisor';

/** When each fault actually happened (epoch ms), for the checks that it did. */
export interface FaultRecord {
  keyVaultOutage?: { from: number; to?: number };
  serviceBusOutage?: { from: number; to?: number };
  hostKill?: { at: number; pid?: number; restartedAt?: number; restartMs?: number };
  patRotation?: { at: number; version: string; eventAttempts?: number; revokedAt?: number; revokedWasAccepted?: boolean; armRequestsAtRevoke?: number };
  poisonSent: number;
  errors: string[];
}

export interface FaultContext {
  readonly stack: EmulatorStack;
  readonly host: HostSupervisor;
  readonly plan: ChaosPlan;
  readonly secretName: string;
  readonly oldPat: string;
  readonly newPat: string;
  readonly log: (line: string) => void;
}

/** A window of the plan, longer if no call met it: at least 2 failed calls, within a minute. */
const windowLength = (w: Window): WindowLength => ({ seconds: w.seconds, atLeast: 2, maxSeconds: Math.max(60, w.seconds) });

/** Schedules every fault of the plan from now; `stop()` cancels those not yet begun and ends outages. */
export function scheduleFaults(ctx: FaultContext): { record: FaultRecord; settled(): Promise<void>; stop(): void } {
  const { stack, host, plan, log } = ctx;
  const record: FaultRecord = { poisonSent: 0, errors: [] };
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const at = (seconds: number, what: string, fn: () => void | Promise<void>) => {
    const t = setTimeout(() => {
      timers.delete(t);
      const p = Promise.resolve()
        .then(fn)
        .catch((e: unknown) => {
          const message = `${what}: ${errorMessage(e)}`;
          record.errors.push(message);
          log(`fault failed: ${message}`);
        })
        .finally(() => running.delete(p));
      running.add(p);
    }, seconds * 1000);
    timers.add(t);
  };

  // One window at a time per emulator: the end of one clears that emulator's faults.
  const armInTurn = takingTurns();
  const kubernetesInTurn = takingTurns();
  for (const w of plan.armThrottles) {
    at(w.from, 'ARM 429 window', () =>
      armInTurn(async () => {
        log(`ARM: every container group create answers 429 (Retry-After ${w.retryAfterSeconds} s) for ${w.seconds} s`);
        const met = await faultWindow(
          stack.arm,
          { status: 429, retryAfterSeconds: w.retryAfterSeconds, method: 'PUT', pathContains: 'containerGroups' },
          windowLength(w),
        );
        log(`ARM: creates accepted again (${met} answered 429)`);
      }),
    );
  }
  for (const w of plan.armErrors) {
    at(w.from, 'ARM 500 window', () =>
      armInTurn(async () => {
        log(`ARM: every call answers 500 for ${w.seconds} s`);
        const met = await faultWindow(stack.arm, { status: 500 }, windowLength(w));
        log(`ARM: answering again (${met} answered 500)`);
      }),
    );
  }
  for (const w of plan.kubernetesErrors) {
    at(w.from, 'Kubernetes 503 window', () =>
      kubernetesInTurn(async () => {
        log(`Kubernetes: every call answers 503 for ${w.seconds} s`);
        const met = await faultWindow(stack.kubernetes, { status: 503 }, windowLength(w));
        log(`Kubernetes: answering again (${met} answered 503)`);
      }),
    );
  }

  const kv = plan.keyVaultOutage;
  at(kv.from, 'Key Vault outage', () => {
    stack.keyVault.setAvailable(false);
    record.keyVaultOutage = { from: Date.now() };
    log(`Key Vault: outage for ${kv.seconds} s (every request 503)`);
  });
  at(kv.from + kv.seconds, 'Key Vault back', () => {
    stack.keyVault.setAvailable(true);
    if (record.keyVaultOutage) record.keyVaultOutage.to = Date.now();
    log('Key Vault: available again');
  });

  const sb = plan.serviceBusOutage;
  at(sb.from, 'Service Bus outage', () => {
    stack.serviceBus.setAvailable(false);
    record.serviceBusOutage = { from: Date.now() };
    log(`Service Bus: outage for ${sb.seconds} s (connections dropped and refused)`);
  });
  at(sb.from + sb.seconds, 'Service Bus back', () => {
    stack.serviceBus.setAvailable(true);
    if (record.serviceBusOutage) record.serviceBusOutage.to = Date.now();
    log('Service Bus: available again');
  });

  const kill = plan.hostKill;
  at(kill.at, 'host kill', async () => {
    const killedAt = Date.now();
    const pid = await host.kill();
    record.hostKill = { at: killedAt, ...(pid !== undefined ? { pid } : {}) };
    log(`host: SIGKILL (pid ${String(pid)}); the emulators keep running`);
  });
  at(kill.restartAt, 'host restart', async () => {
    const started = await host.start();
    if (record.hostKill) Object.assign(record.hostKill, { restartedAt: Date.now(), restartMs: started.startedInMs });
    log(`host: started again (pid ${started.pid}, listening after ${started.startedInMs} ms)`);
  });

  const rotation = plan.patRotation;
  at(rotation.at, 'PAT rotation', async () => {
    stack.ado.addToken(ctx.newPat, 'pat', POOL_PAT_SCOPES);
    const version = stack.keyVault.setSecret(ctx.secretName, ctx.newPat).version;
    record.patRotation = { at: Date.now(), version };
    log(`PAT rotation: new PAT accepted by ADO and stored as version ${version}; Event Grid announces it`);
    const attempts = await deliverEventGrid(host.url, 'secret-events', [secretNewVersionEvent(stack.keyVault.url, ctx.secretName, version)]);
    record.patRotation.eventAttempts = attempts;
    log(`PAT rotation: SecretNewVersionCreated delivered (${attempts} attempt${attempts === 1 ? '' : 's'})`);
  });
  at(rotation.at + rotation.revokeAfter, 'old PAT revoked', () => {
    const was = stack.ado.revokeToken(ctx.oldPat);
    // ARM's request log has no times: where it stood marks the creates that came after.
    if (record.patRotation)
      Object.assign(record.patRotation, { revokedAt: Date.now(), revokedWasAccepted: was, armRequestsAtRevoke: stack.arm.requests().length });
    log('PAT rotation: the old PAT is revoked in ADO');
  });

  const poison = plan.poisonMessages;
  at(poison.at, 'poison messages', async () => {
    const client = new ServiceBusClient(stack.serviceBus.connectionString);
    try {
      const sender = client.createSender(SIGNAL_QUEUE);
      const bodies = ['not a signal', { version: 2, pool: 42 }, { hello: 'world' }].slice(0, poison.count);
      await sender.sendMessages(bodies.map((body, i) => ({ body, messageId: `chaos-poison-${i + 1}` })));
      record.poisonSent = bodies.length;
      log(`Service Bus: ${bodies.length} messages no pass can read sent to ${SIGNAL_QUEUE} (they must end dead-lettered as bad messages)`);
    } finally {
      await client.close();
    }
  });

  return {
    record,
    async settled() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    stop() {
      timers.forEach(clearTimeout);
      timers.clear();
      stack.keyVault.setAvailable(true);
      stack.serviceBus.setAvailable(true);
      stack.arm.clearFaults();
    },
  };
}

/** Runs what it is given one after another, each once the one before has ended (failed or not). */
function takingTurns(): <T>(fn: () => Promise<T>) => Promise<T> {
  let turn: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = turn.then(fn);
    turn = run.catch(() => undefined);
    return run;
  };
}
