import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_PAT, startEmulatorStack, type ContainerRecord, type EmulatorStack } from '../../scripts/local-stack/emulator-stack';
import { useIdentityEnv } from '../../emulators/identity/identity-emulator';
import { jobBody, rawClient } from '../../emulators/kubernetes/raw-client';
import { seededRandom } from '../../emulators/core/latency';
import { eventually } from '../helpers/wait-for-value';

// The stack's latency options reach the emulators and agents, and containers() tells what
// happened to each agent container. Containers are created straight through ARM and the
// Kubernetes API here, as the launchers would; no scaler runs.

const SUB = '00000000-0000-0000-0000-0000000000b2';
const AKS_SERVER_APP = '6dae42f8-4368-4678-94ff-3960e28e3630';
let stack: EmulatorStack;
let restoreEnv: () => void;
let credential: ManagedIdentityCredential;

beforeAll(async () => {
  stack = await startEmulatorStack({
    config: { organizations: [{ url: 'https://dev.azure.com/fabrikam', auth: { kind: 'pat' }, pools: [{ name: 'linux' }] }] },
    latencies: { aciStart: 30, aksStart: 10, agentRegistration: { kind: 'uniform', minMs: 40, maxMs: 60 }, jobDuration: 80, agentPollMs: 10 },
    random: seededRandom(1),
    ado: { tokens: [EMULATOR_PAT, 'another-pat'] },
  });
  restoreEnv = useIdentityEnv(stack.identity);
  credential = new ManagedIdentityCredential();
});

afterAll(async () => {
  await stack?.close();
  restoreEnv?.();
});

const agentEnv = (name: string) => ({ AZP_URL: stack.ado.orgUrl('fabrikam'), AZP_POOL: 'linux', AZP_AGENT_NAME: name, AZP_TOKEN: EMULATOR_PAT });

function expectInOrder(record: ContainerRecord): void {
  expect(record.startedAt).toBeGreaterThanOrEqual(record.createdAt);
  expect(record.registeredAt! - record.startedAt).toBeGreaterThanOrEqual(38); // agentRegistration, 40..60 ms
  expect(record.jobStartedAt).toBeGreaterThanOrEqual(record.registeredAt!);
  expect(record.exitedAt! - record.jobStartedAt!).toBeGreaterThanOrEqual(78); // jobDuration
}

describe('emulator stack', () => {
  it('records each finished agent container, ACI and AKS, with its timeline', async () => {
    const aciJob = stack.ado.queueJob({ pool: 'linux' });
    const aci = new ContainerInstanceManagementClient(credential, SUB, { endpoint: stack.arm.url, retryOptions: { maxRetries: 0 } });
    await aci.containerGroups.beginCreateOrUpdate('rg', 'agent-aci-1', {
      location: 'westeurope',
      osType: 'Linux',
      restartPolicy: 'Never',
      containers: [
        {
          name: 'agent',
          image: 'example.azurecr.io/agent:4',
          resources: { requests: { cpu: 1, memoryInGB: 2 } },
          environmentVariables: Object.entries(agentEnv('agent-aci-1')).map(([name, value]) =>
            name === 'AZP_TOKEN' ? { name, secureValue: value } : { name, value },
          ),
        },
      ],
    });
    const aciRecord = await eventually(
      'the ACI agent to exit',
      () => stack.containers().find((c) => c.name === 'agent-aci-1'),
      (c) => c?.exitCode !== undefined,
    );
    expect(aciRecord).toMatchObject({ kind: 'aci', requestId: aciJob.requestId, exitCode: 0 });
    expect(aciRecord!.createdAt).toBe(Date.parse(stack.arm.groups().find((g) => g.name === 'agent-aci-1')!.createdAt));
    expect(aciRecord!.startedAt - aciRecord!.createdAt).toBeGreaterThanOrEqual(28); // aciStart
    expectInOrder(aciRecord!);

    const aksJob = stack.ado.queueJob({ pool: 'linux' });
    const { token } = await credential.getToken(`${AKS_SERVER_APP}/.default`);
    const body = jobBody('agent-aks-1', { backoffLimit: 0, env: Object.entries(agentEnv('agent-aks-1')).map(([name, value]) => ({ name, value })) });
    expect((await rawClient(stack.kubernetes.url, token)('POST', '/apis/batch/v1/namespaces/ado-agents/jobs', body)).status).toBe(201);
    const aksRecord = await eventually(
      'the AKS agent to exit',
      () => stack.containers().find((c) => c.name === 'agent-aks-1'),
      (c) => c?.exitCode !== undefined,
    );
    expect(aksRecord).toMatchObject({ kind: 'aks', requestId: aksJob.requestId, exitCode: 0 });
    expect(aksRecord!.startedAt - aksRecord!.createdAt).toBeGreaterThanOrEqual(8); // aksStart
    expectInOrder(aksRecord!);

    expect(stack.containers().map((c) => c.name)).toEqual(['agent-aci-1', 'agent-aks-1']);
    expect(
      stack.ado
        .jobs()
        .filter((j) => j.state === 'finished')
        .map((j) => j.result),
    ).toEqual(['succeeded', 'succeeded']);
  });

  it('passes further ADO emulator options through', async () => {
    const pools = await fetch(`${stack.ado.orgUrl('fabrikam')}/_apis/distributedtask/pools?poolName=linux`, {
      headers: { authorization: `Basic ${Buffer.from(':another-pat').toString('base64')}` },
    });
    expect(pools.status).toBe(200);
  });
});
