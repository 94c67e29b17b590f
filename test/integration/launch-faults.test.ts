import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';

let scaler: Scaler;

beforeAll(async () => {
  scaler = await startScaler({
    config: launchConfig(),
    lockDurationMs: 600_000,
    latencies: { jobDuration: 100 },
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/launch.js');
      await import('../../functions/status.js');
    },
  });
});

afterAll(() => scaler?.close());

const queue = () => scaler.stack.serviceBus.queue(DEMAND_QUEUE);
/** Waits, moving Service Bus time past retry delays whenever nothing else is in flight. */
async function settle(done: () => boolean, what: string): Promise<void> {
  await eventually(() => {
    if (done()) return true;
    if (queue().active().length + queue().locked().length === 0) scaler.skipToNextRetry();
    return false;
  }, 30_000, what).catch((e: unknown) => {
    console.log(queue().active().length, queue().locked().length, queue().scheduled().map((m) => m.scheduledEnqueueTimeUtc));
    console.log(scaler.stack.ado.jobs().map((j) => `${j.requestId}:${j.state}:${j.agentName ?? ''}`).join(' '));
    console.log(scaler.logs.slice(-15).map((l) => `${l.level} ${l.message}`).join('\n'));
    throw e;
  });
}

describe('launch under faults', () => {
  it('delays demands while ARM throttles and then reports quota exhausted, and starts every agent once it lifts', async () => {
    const { ado, arm } = scaler.stack;
    const before = arm.requests().length;
    arm.injectFault({ status: 429, retryAfterSeconds: 2, count: 4, method: 'PUT' });
    arm.injectFault({
      status: 400,
      code: 'ContainerGroupQuotaReached',
      message: "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region 'westeurope'. Limit: '10', Usage: '10', Requested: '1'.",
      count: 4,
      method: 'PUT',
    });
    const jobs = Array.from({ length: 6 }, () => ado.queueJob({ pool: 'linux', demands: ['docker'] }));
    await settle(() => jobs.every((j) => ado.jobs().find((v) => v.requestId === j.requestId)?.result === 'succeeded'), 'every job to finish');

    const calls = arm.requests().slice(before);
    const injected = calls.filter((r) => r.injected).length;
    console.log(`faults: ${calls.length} ARM requests for 6 agents (${injected} answered 429 or quota)`);
    expect(injected).toBe(8);
    expect(calls.length).toBeLessThanOrEqual(6 * 5 + injected * 2);
    const status = await scaler.status();
    expect(status.counters.throttled).toBeGreaterThanOrEqual(8);
    expect(queue().deadLettered()).toEqual([]);
    const retries = scaler.logs.filter((l) => l.message.includes('launch: retry in'));
    expect(retries.some((l) => /throttled/i.test(l.message))).toBe(true);
    expect(retries.some((l) => /quota 'StandardCores'/.test(l.message))).toBe(true);
  });

  it('warns about a job no profile can run, naming its demands, and completes the demand', async () => {
    const { ado, arm } = scaler.stack;
    const before = (await scaler.status()).counters.unmatchedDemands ?? 0;
    const job = ado.queueJob({ pool: 'linux', demands: ['maven', 'Agent.OS -equals Linux'] });
    await eventually(async () => ((await scaler.status()).counters.unmatchedDemands ?? 0) > before, 10_000, 'the unmatched demand');
    const warning = scaler.logs.find((l) => l.level === 'warning' && l.message.includes(job.jobId));
    expect(warning?.message).toMatch(/demands maven, Agent.OS -equals Linux/);
    expect(warning?.message).toMatch(/"linux-small" lacks maven/);
    await eventually(() => queue().active().length + queue().locked().length === 0, 10_000, 'the demand to be completed');
    expect(arm.groups().some((g) => g.body.tags?.['ado-request-id'] === String(job.requestId))).toBe(false);
    expect(queue().deadLettered()).toEqual([]);
  });

  it('dead-letters a message that can never succeed, with the reason in the log', async () => {
    const sender = new ServiceBusClient(scaler.stack.serviceBus.connectionString).createSender(DEMAND_QUEUE);
    await sender.sendMessages({ messageId: 'poison-1', body: { version: 9, jobId: 'x' } });
    await sender.sendMessages({ messageId: 'poison-2', body: { version: 1, orgUrl: 'https://dev.azure.com/unknown', jobId: 'j', source: 'sweep', observedAt: new Date().toISOString() } });
    await sender.close();
    await eventually(() => queue().deadLettered().length === 2, 15_000, 'both messages in the dead-letter queue');
    expect(queue().deadLettered().map((m) => [m.messageId, m.deadLetterReason])).toEqual([
      ['poison-1', 'MaxDeliveryCountExceeded'],
      ['poison-2', 'MaxDeliveryCountExceeded'],
    ]);
    const errors = scaler.logs.filter((l) => l.level === 'error').map((l) => l.message);
    expect(errors.some((m) => m.includes('poison-1') && /invalid demand message: version/.test(m))).toBe(true);
    expect(errors.some((m) => m.includes('poison-2') && /dev.azure.com\/unknown is not in the config/.test(m))).toBe(true);
    expect((await scaler.status()).counters.deadLettered).toBe(2);
  });
});
