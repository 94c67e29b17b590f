import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock';
import { subscribeWebhook } from '../../scripts/local-stack/webhook-subscription';
import { configWithPools, startScaler, WEBHOOK_PASSWORD, WEBHOOK_USERNAME, type LogLine, type Scaler } from './scaler-harness';
import { runUpkeepLater } from './upkeep-helpers';
import { startGateway, type Gateway } from './webhook-gateway';

/**
 * ADO's own schedule (azure-devops-docs, docs/service-hooks/troubleshoot.md) on a clock the test
 * moves: a failed delivery puts the subscription on probation, ADO retries it after 20 min, 40
 * min, ... 15 h, and disables it when the seventh retry fails. Upkeep's hook health, run as the
 * timer runs it, with the hooks PAT the README asks for.
 */
let scaler: Scaler;
let gateway: Gateway;
const clock = new ManualClock(Date.now());
const base = configWithPools(['linux']).organizations[0]!;
const config = { organizations: [{ ...base, hooksAuth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-hooks-pat' } }] };

beforeAll(async () => {
  scaler = await startScaler({
    config,
    subscribe: false,
    ado: { now: clock.now, hookTimers: clock },
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/upkeep.js');
      await import('../../functions/status.js');
    },
  });
  gateway = await startGateway(scaler.webhookUrl);
  await subscribeWebhook(scaler.stack, { url: gateway.url, username: WEBHOOK_USERNAME, password: WEBHOOK_PASSWORD });
});

afterAll(async () => {
  await gateway?.close();
  await scaler?.close();
});

const ours = () => scaler.stack.ado.subscriptions('contoso')[0]!;
const reenabledCount = async () => (await scaler.status()).counters.hookReenabled ?? 0;
/** A job queued now, and what became of its waiting event at the webhook. */
async function queueJob(): Promise<Array<[number | null, string]>> {
  const job = scaler.stack.ado.queueJob({ pool: 'linux' });
  await scaler.stack.ado.deliveriesSettled();
  return scaler.stack.ado
    .deliveries()
    .filter((d) => d.jobId === job.jobId)
    .map((d) => [d.status, d.outcome]);
}

describe("hook health on ADO's probation schedule", () => {
  const lines: LogLine[] = [];
  const said = (pattern: RegExp) => lines.filter((l) => pattern.test(l.message));

  it("reports a probation with ADO's count and lifts it; while the webhook keeps failing, lifts it again each run but says so once", async () => {
    gateway.failAll(true);
    expect(await queueJob()).toEqual([[500, 'probation']]);
    expect(ours()).toMatchObject({ status: 'onProbation', probationRetries: 0 });

    await runUpkeepLater(0, lines);
    expect(ours()).not.toHaveProperty('status');
    expect(said(/re-enabled subscription/).map((l) => l.level)).toEqual(['warn']);
    expect(said(/re-enabled subscription/)[0]!.message).toMatch(
      new RegExp(`re-enabled subscription ${ours().id as string} .*onProbation after 0 failed probation retries`),
    );

    // Still down: the next event puts it back on probation, and the next run lifts it again.
    expect(await queueJob()).toEqual([[500, 'probation']]);
    await runUpkeepLater(0, lines);
    expect(ours()).not.toHaveProperty('status');
    expect(await reenabledCount()).toBe(2);
    expect(said(/re-enabled subscription/)).toHaveLength(1);
  });

  it("re-enables one ADO disabled after its seven probation retries failed (36 h without upkeep), with the webhook's password: events reach it again", async () => {
    expect(await queueJob()).toEqual([[500, 'probation']]);
    // No upkeep run for a day and a half (the app was stopped); ADO retries on its own schedule.
    for (let retry = 1; retry <= 7; retry++) {
      clock.runNext();
      await scaler.stack.ado.deliveriesSettled();
    }
    expect(ours()).toMatchObject({ status: 'disabledBySystem' });
    const outcomes = scaler.stack.ado
      .deliveries()
      .filter((d) => d.probationRetry !== undefined)
      .map((d) => [d.probationRetry, d.status, d.outcome]);
    expect(outcomes.at(-1)).toEqual([7, 500, 'disabled']);
    expect(await queueJob()).toEqual([[null, 'dropped']]);

    gateway.failAll(false);
    await runUpkeepLater(0, lines);
    expect(ours()).not.toHaveProperty('status');
    expect(said(/re-enabled subscription .*disabledBySystem/)).toHaveLength(1);
    expect(await reenabledCount()).toBe(3);
    expect(await queueJob()).toEqual([[202, 'delivered']]);
    expect(lines.map((l) => l.message).join('\n')).not.toContain(WEBHOOK_PASSWORD);
  });
});
