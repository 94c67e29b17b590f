import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { agentName } from '../../src/launchers/agent-name';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';

let scaler: Scaler;

beforeAll(async () => {
  scaler = await startScaler({
    config: launchConfig({ dotnetMax: 5 }),
    lockDurationMs: 600_000,
    latencies: { jobDuration: 200 },
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/launch.js');
      await import('../../functions/status.js');
    },
  });
});

afterAll(() => scaler?.close());

it('serves 50 jobs over two pools and three profiles, on ACI and AKS virtual nodes, each by exactly one agent, with every demand delivered twice', { timeout: 150_000 }, async () => {
  const { ado, arm, kubernetes } = scaler.stack;
  const orgUrl = ado.orgUrl('contoso');
  const queued = [
    ...Array.from({ length: 20 }, () => ({ pool: 'linux', demands: ['Agent.OS -equals Linux', 'size -equals small'], profile: 'linux-small' })),
    ...Array.from({ length: 20 }, () => ({ pool: 'linux', demands: ['docker', 'Agent.Version -gtVersion 2.182.1'], profile: 'linux-docker' })),
    ...Array.from({ length: 10 }, () => ({ pool: 'dotnet', demands: ['dotnet -equals 8.0'], profile: 'dotnet-8' })),
  ].map((j) => ({ ...j, ...ado.queueJob({ pool: j.pool, demands: j.demands }) }));
  // Every demand a second time, past duplicate detection, as a late sweep would send it.
  const sender = new ServiceBusClient(scaler.stack.serviceBus.connectionString).createSender(DEMAND_QUEUE);
  await sender.sendMessages(
    queued.map((j) => ({
      messageId: `again-${j.requestId}`,
      body: { version: 1, orgUrl, jobId: j.jobId, poolName: j.pool, source: 'sweep', observedAt: new Date().toISOString() },
    })),
  );
  await sender.close();

  const view = (requestId: number) => ado.jobs().find((j) => j.requestId === requestId);
  await eventually(
    () => {
      if (queued.every((j) => view(j.requestId)?.state === 'finished')) return true;
      const queue = scaler.stack.serviceBus.queue(DEMAND_QUEUE);
      if (queue.active().length + queue.locked().length === 0) scaler.skipToNextRetry();
      return false;
    },
    120_000,
    'all 50 jobs to finish',
  ).catch((e: unknown) => {
    // What a failure needs to be understood: the jobs left, and what the scaler said about them.
    console.log(queued.map((j) => view(j.requestId)).filter((j) => j?.state !== 'finished'));
    console.log(scaler.logs.filter((l) => l.level !== 'info' || /retry|replac|went to/.test(l.message)).map((l) => l.message));
    throw e;
  });

  // ADO gives a waiting job to any idle agent that matches it, not to the one started for it;
  // what must hold is that every job ran once, each on its own agent of the right profile.
  const ranOn = queued.map((j) => view(j.requestId)?.agentName);
  expect(queued.every((j) => view(j.requestId)?.result === 'succeeded')).toBe(true);
  expect(new Set(ranOn).size).toBe(50);
  const aciNames = arm.groups().map((g) => g.name);
  const aksNames = kubernetes.jobs().map((k) => k.metadata.name);
  expect(aciNames).toHaveLength(30);
  expect(aksNames).toHaveLength(20);
  expect(new Set([...aciNames, ...aksNames]).size).toBe(50);
  expect(arm.groups().every((g) => g.restarts === 0)).toBe(true);
  expect(arm.requests().filter((r) => r.method === 'PUT' && r.status === 201)).toHaveLength(30);
  expect(kubernetes.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/jobs') && r.status === 201)).toHaveLength(20);
  for (const j of queued.filter((x) => x.profile === 'linux-small')) {
    expect(aksNames).toContain(agentName(orgUrl, j.pool, j.requestId));
    expect(aksNames).toContain(view(j.requestId)?.agentName);
  }
  for (const g of arm.groups()) {
    const j = queued.find((x) => agentName(orgUrl, x.pool, x.requestId) === g.name);
    expect(g.body.tags?.['ado-profile']).toBe(j?.profile);
  }

  const status = await scaler.status();
  expect(status.counters.launches).toBe(50);
  const profiles = Object.fromEntries(status.profiles.map((p) => [p.profile, p]));
  expect(profiles['linux-small']).toMatchObject({ launcher: 'aksVirtualNode', finished: 20 });
  expect(profiles['linux-docker']).toMatchObject({ launcher: 'aci', finished: 20 });
  expect(profiles['dotnet-8']).toMatchObject({ launcher: 'aci', finished: 10, maxAgents: 5 });
  console.log(`scale: 50 jobs, ${arm.requests().length} ARM requests, ${kubernetes.requests().length} Kubernetes requests, counters ${JSON.stringify(status.counters)}`);
});
