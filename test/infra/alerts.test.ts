import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { ACI_QUOTA_CODE } from '../../src/launchers/aci/aci-errors';
import { errorFields, HOOK_EVENT, hookRecords, PASS_EVENT, recordPrefix } from '../../src/log/telemetry-record';
import { passRecord } from '../../src/scheduler/pass-records';
import type { PoolConfig } from '../../src/config/schema';
import { ScalerError } from '../../src/errors/scaler-error';
import {
  compiledMainTemplate,
  moduleNamed,
  moduleParameter,
  REPO,
  resolveVariables,
  type ArmResource,
  type ArmTemplate,
  type Deployment,
} from './compiled-template';

/**
 * The Azure Monitor alerts infra/modules/alerts.bicep adds, read off the compiled template: each
 * of the five rules, what it queries (or which metric), its threshold and window, and the action
 * group they notify. The log queries are checked against the records the code writes
 * (src/log/telemetry-record.ts), so a renamed field or event breaks this test, not the alert.
 */

let main: ArmTemplate;
let alerts: Deployment;
let rules: ArmResource[];

const WORKSPACE = "[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspaceName'))]";

beforeAll(() => {
  main = compiledMainTemplate();
  alerts = moduleNamed(main, 'alerts');
  rules = alerts.template.resources.filter((r) => r.type === 'Microsoft.Insights/scheduledQueryRules' || r.type === 'Microsoft.Insights/metricAlerts');
});

interface LogCriterion {
  readonly query: string;
  readonly timeAggregation: string;
  readonly metricMeasureColumn?: string;
  readonly dimensions?: ReadonlyArray<{ readonly name: string; readonly operator: string; readonly values: readonly string[] }>;
  readonly operator: string;
  readonly threshold: unknown;
  readonly failingPeriods?: { readonly numberOfEvaluationPeriods: number; readonly minFailingPeriodsToAlert: number };
}

function rule(suffix: string): ArmResource & { properties: Record<string, unknown> } {
  const found = rules.filter((r) => r.name === `[format('alert-{0}-${suffix}', parameters('namePrefix'))]`);
  expect(found, `one alert rule alert-<prefix>-${suffix}`).toHaveLength(1);
  return found[0] as ArmResource & { properties: Record<string, unknown> };
}

function logCriterion(r: ArmResource): LogCriterion {
  const allOf = (r.properties as { criteria: { allOf: LogCriterion[] } }).criteria.allOf;
  expect(allOf).toHaveLength(1);
  return allOf[0]!;
}

const dimensionNames = (c: LogCriterion) => (c.dimensions ?? []).map((d) => d.name);

/** Every `r.x` / `p.x` the query reads: fields of the record (r) and of its profiles (p). */
function fieldsRead(query: string, variable: 'r' | 'p'): string[] {
  return [...new Set([...query.matchAll(new RegExp(`\\b${variable}\\.(\\w+)`, 'g'))].map((m) => m[1]!))];
}

// Records with every field set, as the code writes them.
const pool = { name: 'linux', profiles: [{ name: 'small' }] } as unknown as PoolConfig;
const now = Date.parse('2026-12-01T10:00:00Z');
const quota = new ScalerError('throttled', 'quota', { status: 400, code: ACI_QUOTA_CODE });
const fullPass = passRecord({
  orgUrl: 'https://dev.azure.com/contoso',
  pool,
  trigger: 'event',
  now,
  startBackoffs: new Map([['linux/small', now + 60_000]]),
  result: {
    plan: { profiles: [{ profile: 'small', waiting: 1, standby: 0, starting: 0, idle: 0, busy: 0, start: 1, stop: [], heldBack: 'backoff' }] },
    started: [],
    stopped: [],
    crashLoops: {},
    unmatched: [],
    startFailures: [{ profile: 'linux/small', message: 'quota', error: errorFields(quota) }],
    startedProfiles: [],
    requests: [{ requestId: 1, jobId: 'j', state: 'waiting', queueTime: new Date(now - 60_000).toISOString(), demands: [], rawDemands: [] }],
    listedAt: now,
    nextPassAt: now + 1_000,
  },
})!;
const passFields = Object.keys(fullPass);
const profileFields = Object.keys(fullPass.profiles[0]!);
const hookFields = Object.keys(
  hookRecords([{ orgUrl: 'https://dev.azure.com/contoso', subscriptions: [{ id: 'x', status: 'onProbation', reenabled: true }] }])[0]!,
);

describe('alert rules in infra/main.bicep', () => {
  it('come from the alerts module, deployed unless deployAlerts is false: four log search rules and one metric rule', () => {
    expect(alerts.resource.condition).toBe("[parameters('deployAlerts')]");
    expect(main.parameters?.deployAlerts).toEqual({ type: 'bool', defaultValue: true, metadata: expect.anything() as unknown });
    expect(rules.map((r) => r.type).sort()).toEqual(['Microsoft.Insights/metricAlerts', ...Array<string>(4).fill('Microsoft.Insights/scheduledQueryRules')]);
    expect(moduleParameter(alerts, 'workspaceName')).toBe(
      "[reference(resourceId('Microsoft.Resources/deployments', 'monitoring'), '2025-04-01').outputs.workspaceName.value]",
    );
  });

  it('query the workspace as their own identity, which may read it (and nothing else) before any rule exists', () => {
    const identities = alerts.template.resources.filter((r) => r.type === 'Microsoft.ManagedIdentity/userAssignedIdentities');
    expect(identities).toHaveLength(1);
    const identityId = `resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', ${identities[0]!.name.replace(/^\[(.*)\]$/, '$1')})`;
    const reader = alerts.template.resources.find((r) => r.type === 'Microsoft.Authorization/roleAssignments')!;
    expect(reader.scope).toBe(WORKSPACE);
    for (const r of rules.filter((x) => x.type === 'Microsoft.Insights/scheduledQueryRules')) {
      expect(r.kind, r.name).toBe('LogAlert');
      expect(r.apiVersion, r.name).toBe('2023-12-01');
      expect((r.properties as { scopes: string[] }).scopes, r.name).toEqual([WORKSPACE]);
      const identity = resolveVariables(r.identity, alerts.template) as { type: string; userAssignedIdentities: Record<string, unknown> };
      expect(identity.type).toBe('UserAssigned');
      expect(Object.keys(identity.userAssignedIdentities)).toEqual([`[format('{0}', ${identityId})]`]);
      expect(
        (r.dependsOn as string[]).some((d) => d.includes("'Microsoft.Authorization/roleAssignments'")),
        `${r.name} waits for the role assignment`,
      ).toBe(true);
      expect((r.properties as { enabled: boolean; autoMitigate: boolean }).enabled).toBe(true);
    }
  });

  it('1: the oldest waiting job over N minutes (default 10), per organization and pool, from the latest pass record', () => {
    const r = rule('oldest-wait');
    expect(r.properties).toMatchObject({ evaluationFrequency: 'PT5M', windowSize: 'PT15M' });
    const c = logCriterion(r);
    expect(c.query).toContain(`Message startswith '${recordPrefix(PASS_EVENT)}'`);
    expect(c.query).toContain('arg_max(TimeGenerated, oldestWaitMinutes) by org, pool');
    expect(c).toMatchObject({
      metricMeasureColumn: 'oldestWaitMinutes',
      timeAggregation: 'Maximum',
      operator: 'GreaterThan',
      threshold: "[parameters('oldestWaitMinutes')]",
    });
    expect(dimensionNames(c)).toEqual(['org', 'pool']);
    expect(moduleParameter(alerts, 'oldestWaitMinutes')).toBe("[parameters('alertOldestWaitMinutes')]");
    expect(main.parameters?.alertOldestWaitMinutes?.defaultValue).toBe(10);
    expect(fieldsRead(c.query, 'r')).toEqual(['outcome', 'org', 'pool', 'oldestWaitSeconds']);
    expect(fieldsRead(c.query, 'r').every((f) => passFields.includes(f))).toBe(true);
  });

  it('2: dead-lettered messages above 0 in the signal queue, a metric rule on the Service Bus namespace', () => {
    const r = rule('dead-lettered');
    expect(r.type).toBe('Microsoft.Insights/metricAlerts');
    expect(r.location).toBe('global');
    expect(r.properties).toMatchObject({
      scopes: ["[resourceId('Microsoft.ServiceBus/namespaces', parameters('serviceBusNamespaceName'))]"],
      evaluationFrequency: 'PT5M',
      windowSize: 'PT5M',
    });
    const criteria = r.properties.criteria as { 'odata.type': string; allOf: Array<Record<string, unknown>> };
    expect(criteria['odata.type']).toBe('Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria');
    expect(criteria.allOf).toEqual([
      expect.objectContaining({
        criterionType: 'StaticThresholdCriterion',
        metricNamespace: 'Microsoft.ServiceBus/namespaces',
        metricName: 'DeadletteredMessages',
        dimensions: [{ name: 'EntityName', operator: 'Include', values: ["[parameters('queueName')]"] }],
        operator: 'GreaterThan',
        threshold: 0,
        timeAggregation: 'Maximum',
      }),
    ]);
    // The queue named is the one the code reads.
    expect(resolveVariables(moduleParameter(alerts, 'queueName'), main)).toBe(SIGNAL_QUEUE);
  });

  it("3: a service hook not enabled, from upkeep's latest record per organization", () => {
    const r = rule('hook-not-enabled');
    expect(r.properties).toMatchObject({ evaluationFrequency: 'PT5M', windowSize: 'PT15M' });
    const c = logCriterion(r);
    expect(c.query).toContain(`Message startswith '${recordPrefix(HOOK_EVENT)}'`);
    expect(c.query).toContain("enabled == 'false'");
    expect(c).toMatchObject({ timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 });
    expect(dimensionNames(c)).toEqual(['org']);
    expect(
      fieldsRead(c.query, 'r').every((f) => hookFields.includes(f)),
      fieldsRead(c.query, 'r').join(),
    ).toBe(true);
  });

  it('4: a profile in back-off now, from the latest pass record of its pool', () => {
    const r = rule('profile-backoff');
    expect(r.properties).toMatchObject({ evaluationFrequency: 'PT5M', windowSize: 'PT15M' });
    const c = logCriterion(r);
    expect(c.query).toContain(`Message startswith '${recordPrefix(PASS_EVENT)}'`);
    expect(c.query).toContain('mv-expand p = r.profiles');
    expect(c.query).toContain('backoffUntil > now()');
    expect(c).toMatchObject({ timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 });
    expect(dimensionNames(c)).toEqual(['org', 'pool', 'profile']);
    expect(fieldsRead(c.query, 'r').every((f) => passFields.includes(f))).toBe(true);
    expect(fieldsRead(c.query, 'p')).toEqual(['profile', 'backoff', 'backoffUntil']);
    expect(fieldsRead(c.query, 'p').every((f) => profileFields.includes(f))).toBe(true);
  });

  it('5: ACI quota errors, from the failed starts in pass records', () => {
    const r = rule('aci-quota');
    expect(r.properties).toMatchObject({ evaluationFrequency: 'PT5M', windowSize: 'PT15M' });
    const c = logCriterion(r);
    expect(c.query).toContain(`Message startswith '${recordPrefix(PASS_EVENT)}'`);
    expect(c.query).toContain(`tostring(p.errorCode) == '${ACI_QUOTA_CODE}'`);
    expect(c).toMatchObject({ timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 });
    expect(dimensionNames(c)).toEqual(['org', 'pool', 'profile']);
    expect(fieldsRead(c.query, 'p').every((f) => profileFields.includes(f))).toBe(true);
  });

  it('notify an e-mail action group when addresses are given, and no one otherwise', () => {
    const groups = alerts.template.resources.filter((r) => r.type === 'Microsoft.Insights/actionGroups');
    expect(groups).toHaveLength(1);
    const group = groups[0]!;
    expect(resolveVariables(`[variables('${/^\[variables\('(\w+)'\)\]$/.exec(group.condition ?? '')?.[1]}')]`, alerts.template)).toBe(
      "[not(empty(parameters('alertEmails')))]",
    );
    expect(group.location).toBe('Global');
    const props = group.properties as {
      enabled: boolean;
      groupShortName: string;
      copy: Array<{ name: string; count: string; input: Record<string, unknown> }>;
    };
    expect(props.enabled).toBe(true);
    expect(props.copy).toEqual([
      {
        name: 'emailReceivers',
        count: "[length(parameters('alertEmails'))]",
        input: {
          name: "[format('email-{0}', copyIndex('emailReceivers'))]",
          emailAddress: "[parameters('alertEmails')[copyIndex('emailReceivers')]]",
          useCommonAlertSchema: true,
        },
      },
    ]);
    expect(moduleParameter(alerts, 'alertEmails')).toBe("[parameters('alertEmails')]");
    expect(main.parameters?.alertEmails).toMatchObject({ type: 'array', defaultValue: [] });
    const parameters = JSON.parse(readFileSync(path.join(REPO, 'infra/main.parameters.json'), 'utf8')) as { parameters: Record<string, unknown> };
    expect(parameters.parameters.alertEmails).toEqual({ value: [] });

    const groupId = `resourceId('Microsoft.Insights/actionGroups', ${group.name.replace(/^\[(.*)\]$/, '$1')})`;
    const ids = String(resolveVariables("[variables('actionGroupIds')]", alerts.template));
    expect(ids).toBe(`[if(variables('notify'), createArray(${groupId}), createArray())]`);
    for (const r of rules.filter((x) => x.type === 'Microsoft.Insights/scheduledQueryRules')) {
      expect((r.properties as { actions: unknown }).actions, r.name).toEqual({ actionGroups: "[variables('actionGroupIds')]" });
    }
    expect(rule('dead-lettered').properties.actions).toBe(`[if(variables('notify'), createArray(createObject('actionGroupId', ${groupId})), createArray())]`);
  });
});
