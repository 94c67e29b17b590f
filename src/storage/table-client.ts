import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { StorageSettings } from '../config/load-settings';

/** A table of the function app's own storage account: the scheduler's pool leases, upkeep's marks. */
export async function tableClient(storage: StorageSettings, credential: () => Promise<TokenCredential>, tableName: string): Promise<TableClient> {
  if ('connectionString' in storage) {
    // Azurite speaks plain http; real accounts are https and keep TLS.
    const insecure = /UseDevelopmentStorage=true|=http:\/\//i.test(storage.connectionString);
    return TableClient.fromConnectionString(storage.connectionString, tableName, { allowInsecureConnection: insecure });
  }
  return new TableClient(storage.tableServiceUri, tableName, await credential());
}

/** Where a table is, for messages: its URL without the query, where a SAS connection string puts its token. */
export function tableLocation(client: TableClient): string {
  const url = new URL(client.url);
  return `table "${client.tableName}" at ${url.origin}${url.pathname.replace(/\/$/, '')}`;
}

/**
 * Creates the table on first use, once per process (createTable succeeds when it exists);
 * forgotten on failure, so the next call tries again.
 */
export function tableOnce(client: TableClient, failure: (error: unknown) => Error): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= client.createTable().catch((e: unknown) => {
      ready = undefined;
      throw failure(e);
    });
    return ready;
  };
}
