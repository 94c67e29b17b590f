import { createRequire } from 'node:module';

/** Azurite's well-known development account (public, documented; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteEmulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
}

export interface AzuriteEmulator {
  /** An account connection string, as `AzureWebJobsStorage` holds it. */
  readonly connectionString: string;
  /** The table service URL with the account path: http://127.0.0.1:PORT/devstoreaccount1 */
  readonly tableUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

// The parts of Azurite's (untyped) table server we use.
interface TableServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}
type TableServerClass = new (config: unknown) => TableServer;
type TableConfigurationClass = new (...args: unknown[]) => unknown;

/**
 * Starts Azurite's table service in this process, in memory, on a free port. In-process (and
 * main.ts rather than Azurite's CLI) because that CLI prints the port it was asked for, not the
 * one it got with port 0, and because its server class needs no telemetry opt-out (only the CLI
 * sends any).
 * Azurite publishes no types or exports map, so its compiled classes are loaded by path.
 */
export async function startAzuriteEmulator(options: AzuriteEmulatorOptions = {}): Promise<AzuriteEmulator> {
  // Named require so that test/tiers.mts sees Azurite loaded here and files a test that starts it as a scenario.
  const require = createRequire(__filename);
  const TableServer = (require('azurite/dist/src/table/TableServer.js') as { default: TableServerClass }).default;
  const TableConfiguration = (require('azurite/dist/src/table/TableConfiguration.js') as { default: TableConfigurationClass }).default;
  const host = options.host ?? '127.0.0.1';
  // Positional: host, port, keepAliveTimeout (s), db path (a name only when in memory), debug log,
  // access log (off: it writes every request to stdout), access log stream, debug log file,
  // loose, skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, inMemoryPersistence.
  const config = new TableConfiguration(
    host,
    options.port ?? 0,
    5,
    'azurite-table-in-memory.json',
    false,
    false,
    undefined,
    undefined,
    true,
    true,
    '',
    '',
    '',
    undefined,
    false,
    true,
  );
  const server = new TableServer(config);
  await server.start();
  const port = Number(new URL(server.getHttpServerAddress()).port);
  const tableUrl = `http://${host}:${port}/${AZURITE_ACCOUNT}`;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=${tableUrl};`,
    tableUrl,
    port,
    close: () => server.close(),
  };
}
