import { randomUUID } from 'node:crypto';

/**
 * Key Vault's SecretNewVersionCreated as Event Grid delivers it (Event Grid schema, the
 * PascalCase data keys of Microsoft's sample), for a version of a secret in the emulated vault.
 */
export function secretNewVersionEvent(vaultUrl: string, secretName: string, version: string): Record<string, unknown> {
  const vault = new URL(vaultUrl);
  const vaultName = vault.hostname.split('.')[0] ?? 'vault';
  return {
    id: randomUUID(),
    topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${vaultName}`,
    subject: secretName,
    eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
    eventTime: new Date().toISOString(),
    data: {
      Id: `${vault.origin}/secrets/${secretName}/${version}`,
      VaultName: vaultName,
      ObjectType: 'Secret',
      ObjectName: secretName,
      Version: version,
      NBF: '',
      EXP: '',
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

/**
 * Posts the events to the host's Event Grid webhook for `functionName`, retrying as Event Grid
 * does while the host is down or answers an error; answers the attempts it took.
 */
export async function deliverEventGrid(
  hostUrl: string,
  functionName: string,
  events: unknown[],
  options: { retryMs?: number; deadlineMs?: number } = {},
): Promise<number> {
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  for (let attempt = 1; ; attempt++) {
    const status = await fetch(`${hostUrl}/runtime/webhooks/eventgrid?functionName=${functionName}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify(events),
      signal: AbortSignal.timeout(30_000),
    }).then(
      (r) => r.status,
      () => 0,
    );
    if (status >= 200 && status < 300) return attempt;
    if (Date.now() > deadline) throw new Error(`Event Grid delivery to ${functionName} failed ${attempt} times (last: ${status || 'no answer'})`);
    await new Promise((r) => setTimeout(r, options.retryMs ?? 2_000));
  }
}
