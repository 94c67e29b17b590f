import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main as patRotate } from '../../scripts/pat-rotate';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { OffsetClock } from '../helpers/offset-clock';
import { runCli } from './cli-runner';
import { configWithPools, eventually, startScaler, type Scaler, scheduledLook } from './scaler-harness';

const ROTATED = 'rotated-by-event-5f1e';
const ROTATED_BY_CLI = 'rotated-by-cli-a77c';
const DEAD = 'never-accepted-0b9e';
const RESTORED = 'restored-41d2';
const [docsEvent] = JSON.parse(readFileSync(join(__dirname, '../fixtures/eventgrid/SecretNewVersionCreated.docs-array.json'), 'utf8')) as Array<
  Record<string, unknown>
>;
let scaler: Scaler;
// The scaler, Service Bus and ADO share one clock, which a test moves past a back-off instead of waiting it out.
const clock = new OffsetClock();

beforeAll(async () => {
  scaler = await startScaler({
    config: configWithPools(['linux']),
    latencies: { jobDuration: 100 },
    now: clock.now,
    serviceBusClock: clock.now,
    ado: { now: clock.now },
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/scheduler.js');
      await import('../../functions/reconcile.js');
      await import('../../functions/status.js');
      await import('../../functions/secret-events.js');
    },
  });
});

afterAll(() => scaler?.close());

/** Microsoft's documented event (PascalCase keys, stray spaces and all), for a version in the Key Vault emulator. */
function keyVaultEvent(type: string, version: string, exp?: number): Record<string, unknown> {
  const vault = new URL(scaler.stack.keyVault.url);
  return {
    ...docsEvent,
    id: `event-${version}-${type}`,
    eventType: `Microsoft.KeyVault.${type}`,
    subject: 'ado-pat',
    topic: `/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${vault.hostname.split('.')[0]}`,
    data: {
      ...(docsEvent!.data as object),
      Id: `${vault.origin}/secrets/ado-pat/${version}`,
      VaultName: vault.hostname.split('.')[0],
      'ObjectName ': 'ado-pat',
      Version: ` ${version}`,
      EXP: String(exp ?? ''),
    },
  };
}

/** What Event Grid does: POST the array to the host's Event Grid webhook for the function. */
async function deliverEvents(events: unknown[]): Promise<number> {
  const response = await fetch(`${scaler.host.url}/runtime/webhooks/eventgrid?functionName=secret-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify(events),
  });
  return response.status;
}

/** No pass running or due, no agent running: nothing still holds the PAT read before. */
async function quiet(): Promise<void> {
  const queue = scaler.stack.serviceBus.queue(SIGNAL_QUEUE);
  await scaler.stack.ado.deliveriesSettled(); // the job's last events have signalled the pool
  await eventually(
    () =>
      queue.active().length + queue.locked().length + queue.scheduled().length === 0 &&
      scaler.stack.arm.groups().every((g) => g.container.state === 'Terminated'),
    45_000,
    'the pool to go quiet',
  );
}

/** A job as ADO queues it: its webhook signals the pool, whose pass starts a one-shot agent that takes it. */
async function runJob(): Promise<{ requestId: number; result?: string }> {
  const { ado } = scaler.stack;
  const { requestId } = ado.queueJob({ pool: 'linux' });
  await eventually(() => ado.jobs().find((j) => j.requestId === requestId)?.state === 'finished', 30_000, `job request ${requestId} to finish`);
  // The one-shot agent deregisters after its job: wait for it to exit, and for the passes its job's events asked for.
  await quiet();
  return ado.jobs().find((j) => j.requestId === requestId)!;
}

/** The PAT the scaler reads now. */
const currentPat = () => scaler.stack.keyVault.versions('ado-pat').at(-1)!.value;

it('a SecretNewVersionCreated event makes the next agent get the new PAT, without a single 401', { timeout: 90_000 }, async () => {
  const { ado, keyVault, arm } = scaler.stack;
  const old = currentPat();
  expect((await runJob()).result).toBe('succeeded'); // the old PAT is cached now

  // The operator's rotation: a new PAT in ADO, stored in Key Vault (Event Grid announces it), the old one revoked.
  ado.addToken(ROTATED);
  const version = keyVault.setSecret('ado-pat', ROTATED).version;
  expect(await deliverEvents([keyVaultEvent('SecretNewVersionCreated', version)])).toBe(202);
  ado.revokeToken(old);
  const adoMark = ado.requests().length;
  const armMark = arm.requests().length;

  expect((await runJob()).result).toBe('succeeded');
  expect(
    ado
      .requests()
      .slice(adoMark)
      .filter((r) => r.status === 401),
  ).toEqual([]);
  const starts = arm
    .requests()
    .slice(armMark)
    .filter((r) => r.method === 'PUT');
  expect(starts.length).toBeGreaterThan(0);
  expect(starts.every((r) => r.body.includes(ROTATED) && !r.body.includes(old))).toBe(true);
  expect(scaler.logs.filter((l) => l.message.includes(ROTATED) || l.message.includes(old))).toEqual([]);
});

it('SecretNearExpiry for our PAT is a warning naming the secret and date, counted in status; other secrets are ignored', async () => {
  const exp = Date.parse('2031-05-01T00:00:00Z') / 1000;
  const other = keyVaultEvent('SecretNearExpiry', 'v9', exp);
  (other.data as Record<string, unknown>)['ObjectName '] = 'someone-elses-secret';
  (other.data as Record<string, unknown>).Id = `${new URL(scaler.stack.keyVault.url).origin}/secrets/someone-elses-secret/v9`;
  expect(await deliverEvents([keyVaultEvent('SecretNearExpiry', 'v1', exp), other])).toBe(202);

  expect((await scaler.status()).counters.secretNearExpiry).toBe(1);
  const warnings = scaler.logs.filter((l) => l.functionName === 'secret-events' && l.level === 'warning');
  expect(warnings.map((l) => l.message)).toEqual([expect.stringMatching(/"ado-pat".*expires on 2031-05-01T00:00:00\.000Z.*npm run pat:rotate/)]);
});

it('pat:rotate refuses a PAT ADO rejects, leaving Key Vault as it was, and stores a good one as a new version', async () => {
  const { ado, keyVault } = scaler.stack;
  const orgUrl = ado.orgUrl('contoso');
  const versions = keyVault.versions('ado-pat').length;

  const bad = await runCli(patRotate, ['--vault', keyVault.url, '--secret', 'ado-pat', '--org', orgUrl, '--pool', 'linux'], {
    env: {},
    stdin: 'not-a-valid-pat\n',
  });
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/the new PAT was not written to Key Vault: Azure DevOps refused .*\(401\)/);
  expect(keyVault.versions('ado-pat')).toHaveLength(versions);
  expect(`${bad.out}${bad.err}`).not.toContain('not-a-valid-pat');

  // A good one; org and pool come from the scaler's config, the organization that uses the secret.
  ado.addToken(ROTATED_BY_CLI);
  const good = await runCli(patRotate, ['--vault', keyVault.url, '--secret', 'ado-pat', '--expires', '2031-06-30'], {
    env: { SCALER_CONFIG: process.env.SCALER_CONFIG },
    stdin: `${ROTATED_BY_CLI}\n`,
  });
  expect(good.code).toBe(0);
  const stored = keyVault.versions('ado-pat');
  expect(stored).toHaveLength(versions + 1);
  expect(stored.at(-1)).toMatchObject({ value: ROTATED_BY_CLI, exp: Date.parse('2031-06-30') / 1000 });
  expect(good.out).toContain(`version ${stored.at(-1)!.version} of secret "ado-pat"`);
  expect(good.out).toContain(`pool "linux" of ${orgUrl}`);
  expect(`${good.out}${good.err}`).not.toContain(ROTATED_BY_CLI);
});

it('a revoked PAT with no successor is one clear warning naming the secret, then short reminders as the pool backs off', { timeout: 90_000 }, async () => {
  const { ado, keyVault, arm } = scaler.stack;
  await quiet();
  // Whatever the vault held is revoked, and its latest version is no PAT ADO knows.
  for (const v of keyVault.versions('ado-pat')) ado.revokeToken(v.value);
  keyVault.setSecret('ado-pat', DEAD);
  const mark = scaler.logs.length;
  const armMark = arm.requests().length;
  const signalMark = scaler.signals().length;
  await scaler.sweep();

  const warnings = () =>
    scaler.logs
      .slice(mark)
      .filter((l) => l.level === 'warning' && l.message.includes('pool "linux"'))
      .map((l) => l.message);
  // The failed pass backs the pool off (5 s) and tries again by itself: no second sweep. The
  // clock moves to that retry rather than the test waiting for it.
  const retry = await scheduledLook(scaler, 'linux', signalMark, 'the retry the failed pass scheduled');
  expect(warnings()).toHaveLength(1);
  clock.advance(retry.dueAt - clock.now());
  await eventually(() => warnings().length >= 2, 30_000, 'the retry after the back-off');
  expect(warnings().filter((m) => m.includes('expired or was revoked'))).toEqual([
    expect.stringMatching(/Key Vault secret "ado-pat" .*npm run pat:rotate -- --vault .* --secret ado-pat/),
  ]);
  expect(warnings()[0]).toContain('expired or was revoked');
  expect(
    warnings()
      .slice(1)
      .every((m) => m.includes('"ado-pat"') && m.includes('still rejected')),
  ).toBe(true);
  expect(scaler.logs.filter((l) => l.level === 'error' || l.message.includes(DEAD))).toEqual([]);
  expect(
    arm
      .requests()
      .slice(armMark)
      .filter((r) => r.method === 'PUT'),
  ).toEqual([]);

  // A good PAT again, announced: the pool's next pass uses it.
  ado.addToken(RESTORED);
  expect(await deliverEvents([keyVaultEvent('SecretNewVersionCreated', keyVault.setSecret('ado-pat', RESTORED).version)])).toBe(202);
});

it('the local host answers Event Grid as the Functions host does: the validation handshake, 404 for an unknown function', async () => {
  const url = `${scaler.host.url}/runtime/webhooks/eventgrid`;
  const validation = await fetch(`${url}?functionName=secret-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
    body: JSON.stringify([{ id: '1', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', subject: '', data: { validationCode: 'abc-123' } }]),
  });
  expect(await validation.json()).toEqual({ validationResponse: 'abc-123' });
  expect((await fetch(`${url}?functionName=nope`, { method: 'POST', body: '[]' })).status).toBe(404);
});
