import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TableServiceClient, TableClient } from '@azure/data-tables';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import type { RequestLogEntry } from '../../emulators/ado/ado-emulator';
import { armPatExposures } from '../../emulators/arm/pat-exposures';
import type { EmulatorStack } from '../local-stack/emulator-stack';
import { patExposures } from '../../emulators/kubernetes/pat-exposures';
import { secretForms, secretMatcher, type SecretValue } from './secret-forms';

export interface SecretFinding {
  readonly secret: string;
  /** Where, e.g. `host-2.log line 812` or `ARM PUT /subscriptions/... requestBody`; never the value. */
  readonly where: string;
}

export interface SecretSearch {
  /** How many secret values were looked for. */
  readonly values: number;
  readonly findings: SecretFinding[];
  /** What was searched: log lines, captured requests, messages, stored objects. */
  readonly searched: Readonly<Record<string, number>>;
  /**
   * Captured requests that do carry a secret where it belongs (an ACI create's secureValue, a
   * Kubernetes Secret's data, a service hook subscription's password): proof that the captures
   * hold the values the search looks for.
   */
  readonly belonging: { readonly aciCreates: number; readonly kubernetesSecrets: number; readonly hookSubscriptions: number };
}

/**
 * Every secret value of the run, in every form, looked for in every log and in everything the
 * emulators captured (request URLs, headers and bodies of every HTTP emulator), except where a
 * secret belongs: an Authorization header (captured as its scheme only) and the service hook's
 * own (not captured), the password of a service hook subscription written to ADO, an ACI
 * `secureValue`, a Kubernetes Secret's data, Key Vault's answers (not captured). Anywhere else —
 * log lines, URLs, other headers, bodies, plain container env values, queue messages, table rows,
 * error messages, the status page — it is a finding.
 */
export async function searchSecrets(
  secrets: readonly SecretValue[],
  logFiles: readonly string[],
  stack: EmulatorStack,
  seen: { readonly statusPage: string; readonly registrations: ReadonlyMap<number, string> },
): Promise<SecretSearch> {
  const match = secretMatcher(secrets);
  const findings: SecretFinding[] = [];
  const searched: Record<string, number> = {};
  const look = (kind: string, where: string, text: string) => {
    searched[kind] = (searched[kind] ?? 0) + 1;
    for (const secret of match(text)) findings.push({ secret, where });
  };

  for (const file of logFiles) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => look('log lines', `${path.basename(file)} line ${i + 1}`, line));
  }
  const ado = stack.ado.requests();
  ado.forEach((r) => look('ADO requests', `ADO ${r.method} ${r.path} (${r.time})`, JSON.stringify({ ...r, body: withoutHookPassword(r) })));
  stack.ado.deliveries().forEach((d) => look('ADO hook deliveries', `ADO delivery ${d.eventId} attempt ${d.attempt}`, JSON.stringify(d)));
  stack.ado.organizations().forEach((o) => look('ADO subscriptions', `ADO subscriptions of ${o.name}`, JSON.stringify(stack.ado.subscriptions(o.name))));

  const arm = stack.arm.requests();
  searched['ARM requests'] = arm.length;
  for (const s of secrets) {
    const seen = new Set<string>();
    for (const form of secretForms(s.value)) for (const where of armPatExposures(arm, form)) seen.add(where);
    seen.forEach((where) => findings.push({ secret: s.label, where: `ARM ${where}` }));
  }
  stack.arm.groups().forEach((g) =>
    look(
      'ACI container groups',
      `ACI group ${g.name} (stored, secureValues left out)`,
      JSON.stringify(g, (k, v: unknown) => (k === 'secureValue' ? undefined : v)),
    ),
  );

  const kube = stack.kubernetes.requests();
  searched['Kubernetes requests'] = kube.length;
  for (const s of secrets) patExposures(kube, s.value).forEach((where) => findings.push({ secret: s.label, where: `Kubernetes ${where}` }));
  kube.forEach((r) => look('Kubernetes request headers', `Kubernetes ${r.method} ${r.path} headers`, JSON.stringify(r.headers)));
  [...stack.kubernetes.jobs(), ...stack.kubernetes.pods()].forEach((o) =>
    look('Kubernetes Jobs and pods', `Kubernetes ${o.kind} ${o.metadata.name}`, JSON.stringify(o)),
  );
  stack.kubernetes.secrets().forEach((o) => look('Kubernetes Secret metadata', `Kubernetes Secret ${o.metadata.name} metadata`, JSON.stringify(o.metadata)));

  stack.keyVault.requests().forEach((r) => look('Key Vault requests', `Key Vault ${r.method} ${r.path}`, JSON.stringify(r)));
  stack.identity.requests().forEach((r) => look('managed identity requests', `identity ${r.method} ${r.path}`, JSON.stringify(r)));
  const queue = stack.serviceBus.queue(SIGNAL_QUEUE);
  [...queue.accepted(), ...queue.deadLettered()].forEach((m) =>
    look('Service Bus messages', `Service Bus message ${String(m.messageId)}`, JSON.stringify({ ...m, messageId: String(m.messageId) })),
  );
  for (const row of await tableRows(stack.storage.connectionString)) look('table rows', `table ${row.table} row ${row.key}`, row.text);
  look('status page', 'GET /api/status', seen.statusPage);
  seen.registrations.forEach((text, id) => look('ADO agent registrations', `ADO agent ${id} (as registered, capabilities included)`, text));
  const belonging = {
    aciCreates: arm.filter((r) => r.method === 'PUT' && match(r.body).length > 0).length,
    kubernetesSecrets: kube.filter((r) => /\/secrets(\/|$)/.test(r.path) && match(r.body).length > 0).length,
    hookSubscriptions: ado.filter((r) => isSubscriptionWrite(r) && match(r.body).length > 0).length,
  };
  return { values: secrets.length, findings, searched, belonging };
}

/** A subscription create or replace: its `consumerInputs.basicAuthPassword` is where the webhook password belongs. */
function isSubscriptionWrite(r: RequestLogEntry): boolean {
  return (r.method === 'POST' || r.method === 'PUT') && /\/_apis\/hooks\/subscriptions(\/[^/]+)?$/i.test(r.path);
}

/** The request body without the one place a secret belongs in ADO requests. */
function withoutHookPassword(r: RequestLogEntry): string {
  if (!r.body || !isSubscriptionWrite(r)) return r.body;
  try {
    const parsed = JSON.parse(r.body) as { consumerInputs?: Record<string, unknown> };
    if (parsed.consumerInputs) delete parsed.consumerInputs.basicAuthPassword;
    return JSON.stringify(parsed);
  } catch {
    return r.body;
  }
}

/** Every entity of every table in the app's storage account (leases, upkeep marks). */
async function tableRows(connectionString: string): Promise<Array<{ table: string; key: string; text: string }>> {
  const options = { allowInsecureConnection: true };
  const service = TableServiceClient.fromConnectionString(connectionString, options);
  const rows: Array<{ table: string; key: string; text: string }> = [];
  for await (const table of service.listTables()) {
    if (!table.name) continue;
    const client = TableClient.fromConnectionString(connectionString, table.name, options);
    for await (const entity of client.listEntities()) {
      rows.push({ table: table.name, key: `${entity.partitionKey}/${entity.rowKey}`, text: JSON.stringify(entity) });
    }
  }
  return rows;
}
