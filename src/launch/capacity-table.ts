import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { StorageSettings } from '../config/load-settings';

/** Table of per-profile capacity claims, in the function app's own storage account. */
export const CAPACITY_TABLE = 'agentcapacity';

/** A table of the app's storage account: the capacity ledger's by default; upkeep keeps its marks in another. */
export async function capacityTable(storage: StorageSettings, credential: () => Promise<TokenCredential>, tableName = CAPACITY_TABLE): Promise<TableClient> {
  if ('connectionString' in storage) {
    // Azurite speaks plain http; real accounts are https and keep TLS.
    const insecure = /UseDevelopmentStorage=true|=http:\/\//i.test(storage.connectionString);
    return TableClient.fromConnectionString(storage.connectionString, tableName, { allowInsecureConnection: insecure });
  }
  return new TableClient(storage.tableServiceUri, tableName, await credential());
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
