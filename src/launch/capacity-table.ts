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
