import { afterAll, beforeAll, expect, it } from 'vitest';
import { startArmEmulator, type ArmEmulator } from '../../emulators/arm/arm-emulator';
import { startIdentityEmulator, type IdentityEmulator } from '../../emulators/identity/identity-emulator';
import { startKubernetesEmulator, type KubernetesEmulator } from '../../emulators/kubernetes/kubernetes-emulator';
import { faultWindow } from './fault-windows';

// The emulators take faults by count; a window must fail every call within it and none after,
// on any emulator of the shared fault core.

let identity: IdentityEmulator;
let k8s: KubernetesEmulator;
let arm: ArmEmulator;

beforeAll(async () => {
  identity = await startIdentityEmulator();
  k8s = await startKubernetesEmulator({ acceptToken: (t) => identity.isValid(t) });
  arm = await startArmEmulator();
});
afterAll(async () => {
  await Promise.all([k8s?.close(), arm?.close()]);
  await identity?.close();
});

const token = async (resource: string) =>
  (
    (await (await fetch(`${identity.endpoint}?api-version=2019-08-01&resource=${resource}`, { headers: { 'x-identity-header': identity.header } })).json()) as {
      access_token: string;
    }
  ).access_token;
const get = async (url: string, bearer: string) => (await fetch(url, { headers: { authorization: `Bearer ${bearer}` } })).status;

it('fails every Kubernetes call in the window, lasts until three have failed, and leaves no fault behind', async () => {
  const bearer = await token('6dae42f8-4368-4678-94ff-3960e28e3630');
  const jobs = `${k8s.url}/apis/batch/v1/namespaces/agents/jobs`;
  const window = faultWindow(k8s, { status: 503 }, { seconds: 0.2, atLeast: 3, maxSeconds: 5 });
  await new Promise((r) => setTimeout(r, 400)); // nobody calls: the window outlasts its 0.2 s
  const during = await Promise.all([get(jobs, bearer), get(jobs, bearer), get(jobs, bearer)]);
  expect(await window).toBe(3);
  expect(during).toEqual([503, 503, 503]);
  expect(await get(jobs, bearer)).toBe(200);
});

it('leaves no fault behind when nobody called in the window', async () => {
  const bearer = await token('6dae42f8-4368-4678-94ff-3960e28e3630');
  expect(await faultWindow(k8s, { status: 503 }, { seconds: 0.1, atLeast: 1, maxSeconds: 0.3 })).toBe(0);
  expect(await get(`${k8s.url}/apis/batch/v1/namespaces/agents/jobs`, bearer)).toBe(200);
});

it('fails every matching ARM call in the window and clears the fault at its end', async () => {
  const groups = `${arm.url}/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups?api-version=2023-05-01`;
  const window = faultWindow(arm, { status: 500 }, { seconds: 0.2, atLeast: 3, maxSeconds: 5 });
  const during = [await get(groups, 'x'), await get(groups, 'x'), await get(groups, 'x')];
  expect(await window).toBe(3);
  expect(during).toEqual([500, 500, 500]);
  expect(await get(groups, 'x')).toBe(200);
});
