import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { StorageSettings } from '../config/load-settings';

/** Table of per-profile capacity claims, in the function app's own storage account. */
export const CAPACITY_TABLE = 'agentcapacity';

export async function capacityTable(storage: StorageSettings, credential: () => Promise<TokenCredential>): Promise<TableClient> {
  if ('connectionString' in storage) {
    // Azurite speaks plain http; real accounts are https and keep TLS.
    const insecure = /UseDevelopmentStorage=true|=http:\/\//i.test(storage.connectionString);
    return TableClient.fromConnectionString(storage.connectionString, CAPACITY_TABLE, { allowInsecureConnection: insecure });
  }
  return new TableClient(storage.tableServiceUri, CAPACITY_TABLE, await credential());
}
