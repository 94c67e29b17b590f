import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { agentName } from '../../src/launchers/agent-name';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';

let scaler: Scaler;
let orgUrl: string;

beforeAll(async () => {
  scaler = await startScaler({
    config: launchConfig(),
    lockDurationMs: 3_000,
    latencies: { jobDuration: 300 },
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/launch.js');
      await import('../../functions/status.js');
    },
  });
  orgUrl = scaler.stack.ado.orgUrl('contoso');
});

afterAll(() => scaler?.close());

const groupsNamed = (name: string) => scaler.stack.arm.groups().filter((g) => g.name === name);
const finished = (requestId: number) => scaler.stack.ado.jobs().find((j) => j.requestId === requestId)?.state === 'finished';

describe('launch on ACI', () => {
  it('starts one agent for a waiting job, which takes it and finishes it', async () => {
    const job = scaler.stack.ado.queueJob({ pool: 'linux', demands: ['docker'] });
    const name = agentName(orgUrl, 'linux', job.requestId);
    await eventually(() => finished(job.requestId), 20_000, 'the job to finish');
    const view = scaler.stack.ado.jobs().find((j) => j.requestId === job.requestId);
    expect(view).toMatchObject({ result: 'succeeded', agentName: name });
    expect(groupsNamed(name)).toHaveLength(1);
    expect(groupsNamed(name)[0]).toMatchObject({ restarts: 0, resourceGroup: 'rg-agents' });
    expect(groupsNamed(name)[0]!.body.tags).toMatchObject({ 'managed-by': 'ado-agent-scaler', 'ado-pool': 'linux', 'ado-request-id': String(job.requestId), 'ado-profile': 'linux-docker' });
    expect((await scaler.status()).counters.launches).toBeGreaterThanOrEqual(1);
  });

  it('keeps one agent per request when every demand arrives twice and a consumer dies between "created" and "completed"', async () => {
    const { ado, arm } = scaler.stack;
    ado.setScheduling(false); // the agent must not finish the job before the redelivery arrives
    const job = ado.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] });
    const name = agentName(orgUrl, 'dotnet', job.requestId);
    // Answer nothing to the create until the consumer is gone: ARM has done it, the consumer never learns.
    const release = arm.holdAnswers(`/containerGroups/${name}`, 'PUT');
    await eventually(() => groupsNamed(name).length === 1, 10_000, 'the container group to exist');

    // The same demand again, past duplicate detection (as a sweep after the window would send it).
    const sender = new ServiceBusClient(scaler.stack.serviceBus.connectionString).createSender(DEMAND_QUEUE);
    await sender.sendMessages({ messageId: `again-${job.requestId}`, body: { version: 1, orgUrl, jobId: job.jobId, poolName: 'dotnet', source: 'sweep', observedAt: new Date().toISOString() } });
    await sender.close();

    await scaler.replaceHost(); // the consumer dies with the message unsettled; its lock expires
    release();
    ado.setScheduling(true);
    await eventually(() => finished(job.requestId), 30_000, 'the job to finish');
    // The dead consumer's message comes back once its lock expires, and is settled too.
    const queue = scaler.stack.serviceBus.queue(DEMAND_QUEUE);
    await eventually(() => queue.active().length + queue.locked().length === 0, 20_000, 'the queue to drain');

    expect(groupsNamed(name)).toHaveLength(1);
    expect(groupsNamed(name)[0]!.restarts).toBe(0);
    const puts = arm.requests().filter((r) => r.method === 'PUT' && r.path.endsWith(`/containerGroups/${name}`));
    expect(puts).toHaveLength(1);
    await eventually(async () => (await scaler.status()).counters.duplicatesSuppressed! >= 1, 15_000, 'the duplicate to be suppressed');
  });
});
