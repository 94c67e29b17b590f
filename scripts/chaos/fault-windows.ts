import https from 'node:https';
import type { ArmEmulator, ArmFault } from '../../emulators/arm/arm-emulator';
import type { IdentityEmulator } from '../../emulators/identity/identity-emulator';
import type { KubernetesEmulator } from '../../emulators/kubernetes/kubernetes-emulator';

/**
 * Faults that last a while, as real bursts do, rather than a count of calls: the emulators fail
 * the next N calls, however late they come, and a client that backs off would meet them minutes
 * later. Each window fails every matching call within it and none after it. A window lasts
 * `seconds`, and longer (up to `maxSeconds`) until `atLeast` calls have failed: a pool backing
 * off, or between timer ticks, may make no call for a while, and a fault nobody met proves nothing.
 */
export interface WindowLength {
  readonly seconds: number;
  readonly atLeast: number;
  readonly maxSeconds: number;
}

/** Every matching ARM call fails in the window; the ARM emulator's injected faults are cleared at its end. */
export async function armWindow(arm: ArmEmulator, fault: Omit<ArmFault, 'count'>, length: WindowLength): Promise<number> {
  const injected = () => arm.requests().filter((r) => r.injected && r.status === fault.status).length;
  const before = injected();
  arm.injectFault({ ...fault, count: 1_000_000 });
  await until(length, () => injected() - before);
  arm.clearFaults();
  return injected() - before;
}

/** The namespace of the calls that use up a fault left over at a window's end (told apart in the request log). */
export const DRAIN_NAMESPACE = 'chaos-window-end';

/**
 * Every Kubernetes call fails with `status` in the window. The emulator takes faults by count and
 * has no way to clear them, so a few are kept pending at a time (topped up as calls use them),
 * and those left when the window closes are used up by calls of our own, to a namespace of their own.
 */
export async function kubernetesWindow(k8s: KubernetesEmulator, identity: IdentityEmulator, status: 429 | 500 | 503, length: WindowLength): Promise<number> {
  const DEPTH = 5;
  const injected = () => k8s.requests().filter((r) => r.injected).length;
  const before = injected();
  let armed = 0;
  const pending = () => armed - (injected() - before);
  await until(length, () => {
    const missing = DEPTH - pending();
    if (missing > 0) {
      k8s.injectFault({ status, count: missing });
      armed += missing;
    }
    return injected() - before;
  });
  const met = injected() - before;
  if (pending() === 0) return met;
  const token = await aksToken(identity);
  for (let i = 0; i < DEPTH + 2 && pending() > 0; i++) await kubeGet(`${k8s.url}/apis/batch/v1/namespaces/${DRAIN_NAMESPACE}/jobs`, token, k8s.caPem);
  return met;
}

/** Polls `met` every 20 ms until the window is over: its length passed and enough calls met it, or its longest. */
async function until(length: WindowLength, met: () => number): Promise<void> {
  const start = Date.now();
  for (;;) {
    const count = met();
    const elapsed = Date.now() - start;
    if ((elapsed >= length.seconds * 1000 && count >= length.atLeast) || elapsed >= length.maxSeconds * 1000) return;
    await sleep(20);
  }
}

/** A managed identity token for the AKS server application, as the launcher gets one. */
async function aksToken(identity: IdentityEmulator): Promise<string> {
  const url = `${identity.endpoint}?api-version=2019-08-01&resource=6dae42f8-4368-4678-94ff-3960e28e3630`;
  const response = await fetch(url, { headers: { 'x-identity-header': identity.header } });
  return ((await response.json()) as { access_token: string }).access_token;
}

function kubeGet(url: string, token: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
