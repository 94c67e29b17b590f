import type { EmulatorStack } from '../local-stack/emulator-stack';
import { SIMULATED_AGENT_USER_AGENT } from '../../emulators/agent/agent-http';
import { OBSERVER_USER_AGENT } from './agent-observer';
import type { FaultRecord } from './fault-schedule';

/** What the emulators saw of each fault: proof that the run did what it says. */
export interface ChaosEvidence {
  readonly armInjected429: number;
  readonly armInjected500: number;
  readonly kubernetesInjected503: number;
  /** Key Vault requests answered 503 during its outage. */
  readonly keyVaultRefused: number;
  /** Probations that began during the Service Bus outage (or its retry tail), and whether a delivery succeeded after the last of them. */
  readonly probationsInOutage: number;
  readonly deliveredAfterProbation: boolean;
  /** Scaler calls to ADO answered 401 (a PAT it held was refused). */
  readonly ado401s: number;
  /** Agent starts (ACI creates, Kubernetes Secrets) after the old PAT was revoked, by the PAT they carry. */
  readonly startsAfterRevoke: { readonly newPat: number; readonly oldPat: number };
}

export function chaosEvidence(stack: EmulatorStack, record: FaultRecord, pats: { readonly old: string; readonly new: string }, tailMs: number): ChaosEvidence {
  const arm = stack.arm.requests().filter((r) => r.injected);
  const sb = record.serviceBusOutage;
  const probations = stack.ado.deliveries().filter((d) => d.outcome === 'probation');
  const inOutage = sb ? probations.filter((d) => Date.parse(d.time) >= sb.from && Date.parse(d.time) <= (sb.to ?? Date.now()) + tailMs) : [];
  const lastProbation = Math.max(0, ...inOutage.map((d) => Date.parse(d.time)));
  const revokedAt = record.patRotation?.revokedAt ?? Infinity;
  const carries = (body: string, pat: string) => body.includes(pat) || body.includes(Buffer.from(pat).toString('base64'));
  const kubeSecretWrites = stack.kubernetes.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/secrets') && Date.parse(r.time) > revokedAt);
  const armCreates = stack.arm
    .requests()
    .slice(record.patRotation?.armRequestsAtRevoke ?? Infinity)
    .filter((r) => r.method === 'PUT' && r.path.includes('/containerGroups/'));
  const starts = [...kubeSecretWrites, ...armCreates];
  return {
    armInjected429: arm.filter((r) => r.status === 429).length,
    armInjected500: arm.filter((r) => r.status === 500).length,
    kubernetesInjected503: stack.kubernetes.requests().filter((r) => r.injected && r.status === 503).length,
    keyVaultRefused: stack.keyVault.requests().filter((r) => r.status === 503).length,
    probationsInOutage: inOutage.length,
    deliveredAfterProbation: inOutage.length > 0 && stack.ado.deliveries().some((d) => d.outcome === 'delivered' && Date.parse(d.time) > lastProbation),
    ado401s: stack.ado.requests().filter((r) => r.status === 401 && !r.userAgent?.startsWith(SIMULATED_AGENT_USER_AGENT) && r.userAgent !== OBSERVER_USER_AGENT)
      .length,
    startsAfterRevoke: { newPat: starts.filter((r) => carries(r.body, pats.new)).length, oldPat: starts.filter((r) => carries(r.body, pats.old)).length },
  };
}
