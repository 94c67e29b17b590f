import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error';
import { scalerConfigSchema, type ScalerConfig } from './schema';

/** The queue of "pool P needs a look" signals the scheduler function reads; Bicep creates it, with duplicate detection. */
export const SIGNAL_QUEUE = 'signals';
/** App setting prefix the Service Bus trigger binding reads (`connection: 'ServiceBusConnection'`). */
export const SERVICE_BUS_CONNECTION = 'ServiceBusConnection';

export type ServiceBusSettings = { readonly connectionString: string } | { readonly fullyQualifiedNamespace: string; readonly clientId?: string };

/** The function app's storage account, where the pool leases and upkeep's marks live. */
export type StorageSettings = { readonly connectionString: string } | { readonly tableServiceUri: string; readonly clientId?: string };

export interface Settings {
  readonly config: ScalerConfig;
  readonly serviceBus: ServiceBusSettings;
  readonly storage: StorageSettings;
  /** ARM endpoint for container groups: public cloud unless set (sovereign clouds, the emulator). */
  readonly armEndpoint: string;
  readonly webhook: { readonly username: string; readonly password: string };
  /** WEBHOOK_URL: the webhook's public URL, which upkeep uses to recognise our service hook subscriptions. */
  readonly webhookUrl?: string;
  /** User-assigned identity for Key Vault and Entra auth to ADO; unset = system-assigned / developer login. */
  readonly azureClientId?: string;
  /** Base URLs of the local emulators when `npm start` runs on them; shown by GET /api/status. */
  readonly emulators?: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates every app setting and the config document, reporting all problems together. */
export function loadSettings(env: Env): Settings {
  const problems: ConfigProblem[] = [];
  const config = readConfigDocument(env, problems);
  const serviceBus = readServiceBus(env, problems);
  const storage = readStorage(env, problems);
  const username = env.WEBHOOK_USERNAME?.trim() ?? '';
  const password = env.WEBHOOK_PASSWORD ?? '';
  if (!username) {
    problems.push({ path: 'WEBHOOK_USERNAME', message: 'is not set; choose the user name the service hook subscription sends (basic auth)' });
  }
  if (password.length < 16) {
    problems.push({
      path: 'WEBHOOK_PASSWORD',
      message: `${password ? 'is shorter than 16 characters' : 'is not set'}; set a random password of at least 16 characters (a Key Vault reference in Azure)`,
    });
  }
  const webhookUrl = env.WEBHOOK_URL?.trim();
  if (webhookUrl && !/^https?:\/\/[^/]+\/\S*$/i.test(webhookUrl)) {
    problems.push({
      path: 'WEBHOOK_URL',
      message:
        "must be the webhook function's URL, e.g. https://<app>.azurewebsites.net/api/webhook; unset it to recognise the service hook subscription by WEBHOOK_USERNAME",
    });
  }
  const armEndpoint = (env.AZURE_RESOURCE_MANAGER_ENDPOINT?.trim() || 'https://management.azure.com').replace(/\/+$/, '');
  if (!/^https:\/\//.test(armEndpoint)) {
    problems.push({
      path: 'AZURE_RESOURCE_MANAGER_ENDPOINT',
      message: 'must be an https URL, e.g. https://management.azure.com; unset it for the public cloud',
    });
  }
  if (problems.length > 0 || !config || !serviceBus || !storage) throw new ConfigError(problems);
  const azureClientId = env.AZURE_CLIENT_ID?.trim();
  const emulators = env.SCALER_EMULATORS ? (JSON.parse(env.SCALER_EMULATORS) as Record<string, string>) : undefined;
  return {
    config,
    serviceBus,
    storage,
    armEndpoint,
    webhook: { username, password },
    ...(webhookUrl ? { webhookUrl } : {}),
    ...(azureClientId ? { azureClientId } : {}),
    ...(emulators ? { emulators } : {}),
  };
}

function readConfigDocument(env: Env, problems: ConfigProblem[]): ScalerConfig | undefined {
  const inline = env.SCALER_CONFIG?.trim();
  const file = env.SCALER_CONFIG_FILE?.trim();
  if (inline && file) {
    problems.push({ path: 'SCALER_CONFIG_FILE', message: 'is set together with SCALER_CONFIG; keep only one of them' });
    return undefined;
  }
  if (!inline && !file) {
    problems.push({ path: 'SCALER_CONFIG', message: 'is not set; put the JSON config document in SCALER_CONFIG or its path in SCALER_CONFIG_FILE' });
    return undefined;
  }
  const source = inline ? 'SCALER_CONFIG' : `SCALER_CONFIG_FILE (${file})`;
  let text: string;
  try {
    text = inline || readFileSync(file ?? '', 'utf8');
  } catch (e) {
    problems.push({ path: 'SCALER_CONFIG_FILE', message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path` });
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    problems.push({ path: source, message: `is not valid JSON: ${(e as Error).message}` });
    return undefined;
  }
  return parseConfig(json, problems);
}

/** Exposed for tests and tools that hold a parsed document already. */
export function parseConfig(json: unknown, problems: ConfigProblem[]): ScalerConfig | undefined {
  const result = scalerConfigSchema.safeParse(json);
  if (result.success) return result.data;
  problems.push(...result.error.issues.map((issue) => describeIssue(issue, json)));
  return undefined;
}

/** The value at an issue's path in the document; undefined where a key is missing. */
function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined), json);
}

function describeIssue(issue: z.core.$ZodIssue, json: unknown): ConfigProblem {
  const path = issue.path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');
  let message = issue.message;
  // Zod leaves `input` unset unless asked: whether the key is missing is read from the document.
  if (issue.code === 'invalid_type' && valueAt(json, issue.path) === undefined) {
    message = `is required (${issue.expected})`;
  } else if (issue.code === 'unrecognized_keys') {
    message = `has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against the configuration reference in README.md`;
  } else if (issue.code === 'invalid_type') {
    message = `must be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}`;
  }
  return { path: path || 'config', message };
}

function readStorage(env: Env, problems: ConfigProblem[]): StorageSettings | undefined {
  const connectionString = env.AzureWebJobsStorage?.trim();
  if (connectionString) return { connectionString };
  const account = env.AzureWebJobsStorage__accountName?.trim();
  const tableServiceUri = env.AzureWebJobsStorage__tableServiceUri?.trim() || (account ? `https://${account}.table.core.windows.net` : '');
  if (tableServiceUri) {
    const clientId = env.AzureWebJobsStorage__clientId?.trim();
    return { tableServiceUri, ...(clientId ? { clientId } : {}) };
  }
  problems.push({
    path: 'AzureWebJobsStorage__accountName',
    message: 'is not set; set the function app storage account name (identity-based), or AzureWebJobsStorage to a connection string',
  });
  return undefined;
}

function readServiceBus(env: Env, problems: ConfigProblem[]): ServiceBusSettings | undefined {
  const connectionString = env[SERVICE_BUS_CONNECTION]?.trim();
  const namespace = env[`${SERVICE_BUS_CONNECTION}__fullyQualifiedNamespace`]?.trim();
  if (connectionString) return { connectionString };
  if (namespace) {
    const clientId = env[`${SERVICE_BUS_CONNECTION}__clientId`]?.trim();
    return { fullyQualifiedNamespace: namespace, ...(clientId ? { clientId } : {}) };
  }
  problems.push({
    path: `${SERVICE_BUS_CONNECTION}__fullyQualifiedNamespace`,
    message: `is not set; set it to <namespace>.servicebus.windows.net (identity-based), or ${SERVICE_BUS_CONNECTION} to a connection string`,
  });
  return undefined;
}
