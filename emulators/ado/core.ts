import { EmulatorError } from './emulator-error';
import { HookDispatcher } from './hook-delivery';
import { ADO_HOOK_PROBATION_DELAYS_MS, ADO_HOOK_RETRY_DELAYS_MS } from './hook-timers';
import { JobLifecycle } from './jobs';
import { EmulatorState, type OrgRecord } from './state';
import type { AdoEmulatorOptions, HookLossOptions, OrganizationInput, OrganizationView } from './types';

/** State, job lifecycle and hook delivery, shared by the HTTP routes and the in-process handle. */
export class EmulatorCore {
  readonly state: EmulatorState;
  readonly hooks: HookDispatcher;
  readonly jobs: JobLifecycle;
  /** Set once the server listens. */
  baseUrl = '';

  constructor(options: AdoEmulatorOptions) {
    this.state = new EmulatorState(options.now ?? Date.now);
    for (const token of options.tokens ?? ['emulator-pat']) {
      if (typeof token === 'string') this.addToken(token);
      else this.addToken(token.token, 'pat', token.scopes);
    }
    for (const token of options.bearerTokens ?? []) this.state.bearerTokens.add(token);
    this.state.acceptBearer = options.acceptBearer;
    if (options.organizations.length === 0) throw new EmulatorError(400, 'The ADO emulator needs at least one organization');
    for (const org of options.organizations) this.state.addOrganization(org);
    checkHookLoss(options.hookLoss);
    this.hooks = new HookDispatcher(this.state, {
      retryDelaysMs: options.hookRetryDelaysMs ?? ADO_HOOK_RETRY_DELAYS_MS,
      probationDelaysMs: options.hookProbationDelaysMs ?? ADO_HOOK_PROBATION_DELAYS_MS,
      ...(options.hookTimers ? { timers: options.hookTimers } : {}),
      timeoutMs: options.hookTimeoutMs ?? 10_000,
      orgUrl: (org) => this.orgUrl(org.name),
      ...(options.hookLoss ? { loss: options.hookLoss } : {}),
    });
    this.jobs = new JobLifecycle(this.state, this.hooks, options.failUnmatchedJobs ?? false);
  }

  orgUrl(name: string): string {
    return `${this.baseUrl}/${this.state.findOrg(name)?.name ?? name}`;
  }

  addOrganization(input: OrganizationInput): OrganizationView {
    if (typeof input.name !== 'string' || !Array.isArray(input.pools) || input.pools.some((p) => typeof p !== 'string')) {
      throw new EmulatorError(400, 'An organization needs "name" (string) and "pools" (array of pool names)');
    }
    return this.organizationView(this.state.addOrganization(input));
  }

  organizations(): OrganizationView[] {
    return [...this.state.orgs.values()].map((o) => this.organizationView(o));
  }

  organizationView(org: OrgRecord): OrganizationView {
    return {
      name: org.name,
      url: this.orgUrl(org.name),
      pools: [...org.pools.values()].map((p) => ({ id: p.id, name: p.name })),
      projects: org.projects.map((p) => ({ id: p.id, name: p.name })),
    };
  }

  /** `scopes` limits a PAT to them (ids such as `vso.agentpools_manage`); without, it has full access. */
  addToken(token: string, kind: 'pat' | 'bearer' = 'pat', scopes?: readonly string[]): void {
    if (typeof token !== 'string' || token === '') throw new EmulatorError(400, 'A token must be a non-empty string');
    // The admin API passes whatever JSON it got.
    const list: unknown = scopes;
    if (list !== undefined && (kind !== 'pat' || !Array.isArray(list) || list.some((s) => typeof s !== 'string'))) {
      throw new EmulatorError(400, 'Scopes are a list of scope ids (e.g. ["vso.agentpools_manage"]) and only PATs have them');
    }
    if (kind === 'bearer') {
      this.state.bearerTokens.add(token);
      return;
    }
    this.state.pats.add(token);
    if (scopes) this.state.patScopes.set(token, [...scopes]);
    else this.state.patScopes.delete(token);
  }

  /** Revokes the token whichever kind it is; answers whether it was accepted before. */
  revokeToken(token: string): boolean {
    const wasPat = this.state.pats.delete(token);
    this.state.patScopes.delete(token);
    const wasBearer = this.state.bearerTokens.delete(token);
    return wasPat || wasBearer;
  }
}

function checkHookLoss(loss: HookLossOptions | undefined): void {
  if (loss === undefined) return;
  const rate = (value: unknown) => typeof value === 'number' && value >= 0 && value <= 1;
  if (!rate(loss.lossRate) || !rate(loss.duplicateRate)) {
    throw new EmulatorError(400, 'hookLoss needs "lossRate" and "duplicateRate", each a number from 0 to 1');
  }
  if (loss.random !== undefined && typeof loss.random !== 'function') throw new EmulatorError(400, 'hookLoss.random must be a function');
}
