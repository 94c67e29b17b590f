import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../src/config/config-error';
import { parseConfig, SIGNAL_QUEUE } from '../../src/config/load-settings';
import { SIGNAL_WINDOW_MS } from '../../src/queue/pool-signal';
import { LEASE_TABLE } from '../../src/runtime/scheduler-dependencies';
import { UPKEEP_TABLE } from '../../src/upkeep/upkeep-marks';
import { compiledMainTemplate, findResources, moduleNamed, moduleParameter, REPO, resolveVariables, type ArmTemplate } from './compiled-template';

/**
 * The app settings infra/main.bicep gives the function app, against the settings the code reads
 * (every env.X / env[...] in src/config/load-settings.ts, the one place that reads them). A
 * setting on one side only must be listed below with its reason.
 */
const LOAD_SETTINGS = path.join(REPO, 'src/config/load-settings.ts');

/** Read by the code, deliberately not set in Azure. */
const NOT_SET_IN_AZURE: Record<string, string> = {
  SCALER_CONFIG_FILE: 'the document goes inline in SCALER_CONFIG; a file path is for local runs',
  ServiceBusConnection: 'a connection string; the namespace has local (SAS) auth disabled, the app uses its identity',
  AzureWebJobsStorage: 'a connection string; the account has shared keys disabled, the app uses its identity',
  SCALER_EMULATORS: 'written by npm start for the local emulators only',
};

/** Set in Azure for the Functions host, not read by the scaler's code. */
const FOR_THE_HOST: Record<string, string> = {
  AzureWebJobsStorage__credential: 'identity-based host storage: "managedidentity", with __clientId naming the user-assigned identity',
  ServiceBusConnection__credential: 'identity-based Service Bus trigger: "managedidentity", with __clientId naming the user-assigned identity',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'where the host sends logs and telemetry',
};

let main: ArmTemplate;
let bicepSettings: Record<string, unknown>;
let codeSettings: string[];

beforeAll(() => {
  main = compiledMainTemplate();
  const configs = findResources(main, 'Microsoft.Web/sites/config').filter((c) => /'appsettings'\)\]$|\/appsettings$/.test(c.resource.name));
  expect(configs, 'one Microsoft.Web/sites/config "appsettings" resource').toHaveLength(1);
  bicepSettings = configs[0]!.resource.properties ?? {};
  codeSettings = settingsReadBy(LOAD_SETTINGS);
});

describe('function app settings in infra/main.bicep', () => {
  it('finds the settings the code reads', () => {
    expect(codeSettings).toEqual(
      expect.arrayContaining(['SCALER_CONFIG', 'WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD', 'ServiceBusConnection__fullyQualifiedNamespace']),
    );
  });

  it('set every setting the code reads, and nothing else but what the host reads', () => {
    const expected = [...codeSettings.filter((s) => !(s in NOT_SET_IN_AZURE)), ...Object.keys(FOR_THE_HOST)].sort();
    expect(Object.keys(bicepSettings).sort()).toEqual(expected);
  });

  it('keep the lists of exceptions current', () => {
    for (const name of Object.keys(NOT_SET_IN_AZURE)) expect(codeSettings, `${name} is no longer read; drop it from NOT_SET_IN_AZURE`).toContain(name);
    for (const name of Object.keys(FOR_THE_HOST)) expect(codeSettings, `${name} is read by the code now; drop it from FOR_THE_HOST`).not.toContain(name);
  });

  it('come only from that resource: the site itself sets none that it would overwrite', () => {
    for (const site of findResources(main, 'Microsoft.Web/sites')) {
      const siteConfig = (site.resource.properties as { siteConfig?: { appSettings?: unknown } }).siteConfig;
      expect(siteConfig?.appSettings).toBeUndefined();
    }
  });

  it('reach Service Bus, storage and Key Vault with the user-assigned identity, and the webhook pair through Key Vault', () => {
    const app = findResources(main, 'Microsoft.Web/sites/config')[0]!;
    const value = (name: string) => String(resolveVariables(bicepSettings[name], app.template));
    expect(value('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(value('ServiceBusConnection__credential')).toBe('managedidentity');
    for (const name of ['AzureWebJobsStorage__clientId', 'ServiceBusConnection__clientId']) expect(value(name)).toBe(value('AZURE_CLIENT_ID'));
    expect(value('AZURE_CLIENT_ID')).toBe("[parameters('appClientId')]");
    expect(value('WEBHOOK_USERNAME')).toMatch(/^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\/secrets\/\{1\}\)'/);
    expect(value('WEBHOOK_PASSWORD')).toMatch(/^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\/secrets\/\{1\}\)'/);
    // ARM of the deployment's own cloud, not a hard-coded public one.
    expect(value('AZURE_RESOURCE_MANAGER_ENDPOINT')).toBe('[environment().resourceManager]');
  });
});

describe('names the code and the template share', () => {
  it('the signal queue: the only queue, named as the code names it, with duplicate detection', () => {
    const serviceBus = moduleNamed(main, 'service-bus');
    expect(resolveVariables(moduleParameter(serviceBus, 'queueName'), main)).toBe(SIGNAL_QUEUE);
    const queues = findResources(main, 'Microsoft.ServiceBus/namespaces/queues');
    expect(queues, 'one Service Bus queue').toHaveLength(1);
    const queue = queues[0]!;
    expect(queue.template).toBe(serviceBus.template);
    expect(queue.resource.name).toBe("[format('{0}/{1}', parameters('namespaceName'), parameters('queueName'))]");
    // Signals of one pool and 1-second window share a messageId: duplicate detection is what
    // makes a burst one message, and its history must outlast the window.
    const props = queue.resource.properties as { requiresDuplicateDetection?: unknown; duplicateDetectionHistoryTimeWindow?: unknown };
    expect(props.requiresDuplicateDetection).toBe(true);
    const history = isoDurationMs(String(props.duplicateDetectionHistoryTimeWindow));
    expect(history).toBeGreaterThanOrEqual(60 * SIGNAL_WINDOW_MS);
    // Service Bus keeps at most 7 days of history.
    expect(history).toBeLessThanOrEqual(7 * 24 * 3_600_000);
    // Duplicate detection and scheduled messages need Standard or Premium; Basic has neither.
    const namespaces = findResources(main, 'Microsoft.ServiceBus/namespaces');
    expect(namespaces).toHaveLength(1);
    expect((namespaces[0]!.resource.sku as { tier?: string } | undefined)?.tier).toMatch(/^(Standard|Premium)$/);
  });

  it("the queue is the one the functions' Service Bus triggers read", () => {
    const triggers = readdirSync(path.join(REPO, 'functions'))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(path.join(REPO, 'functions', f), 'utf8').matchAll(/app\.serviceBusQueue\(\s*'([^']+)',\s*\{([^}]*)\}/g)])
      .map((m) => ({ name: m[1], queueName: /queueName:\s*(\w+)/.exec(m[2]!)?.[1] }));
    expect(triggers).toEqual([{ name: 'scheduler', queueName: 'SIGNAL_QUEUE' }]);
  });

  it('the storage tables: the pool leases and the upkeep marks', () => {
    const tables = moduleParameter(moduleNamed(main, 'storage'), 'tableNames') as unknown[];
    expect(tables.map((t) => resolveVariables(t, main)).sort()).toEqual([LEASE_TABLE, UPKEEP_TABLE].sort());
    // The storage module creates one table per name it is given.
    const created = findResources(main, 'Microsoft.Storage/storageAccounts/tableServices/tables');
    expect(created).toHaveLength(1);
    expect(created[0]!.chain.map((d) => d.resource.name)).toEqual(['storage']);
    expect(created[0]!.resource.copy).toEqual({ name: 'tables', count: "[length(parameters('tableNames'))]" });
    expect(created[0]!.resource.name).toBe("[format('{0}/{1}/{2}', parameters('name'), 'default', parameters('tableNames')[copyIndex()])]");
  });

  it('the function Event Grid delivers Key Vault events to', () => {
    const name = String(main.variables?.secretEventsFunctionName);
    expect(existsSync(path.join(REPO, 'functions', `${name}.ts`)), `functions/${name}.ts`).toBe(true);
  });

  it('main.parameters.json holds a valid configuration document once its placeholders are filled', () => {
    const placeholders = placeholdersOf(readFileSync(path.join(REPO, 'infra/main.bicep'), 'utf8'));
    expect(placeholders).toEqual(
      expect.arrayContaining(['vaultUrl', 'agentsIdentityId', 'aciSubnetId', 'agentsResourceGroup', 'subscriptionId', 'location', 'aksApiServer']),
    );
    const sample: Record<string, string> = {
      vaultUrl: 'https://kv-adoscaler-abcdefgh.vault.azure.net',
      agentsIdentityId:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ado-agents/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-adoscaler-agents',
      aciSubnetId:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-adoscaler/subnets/aci-agents',
      agentsResourceGroup: 'rg-ado-agents',
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      location: 'westeurope',
      aksApiServer: 'https://aks-adoscaler.hcp.westeurope.azmk8s.io:443',
    };
    const parameters = JSON.parse(readFileSync(path.join(REPO, 'infra/main.parameters.json'), 'utf8')) as { parameters: { scalerConfig: { value: unknown } } };
    let text = JSON.stringify(parameters.parameters.scalerConfig.value);
    for (const [key, value] of Object.entries(sample)) text = text.replaceAll(`{{${key}}}`, value);
    expect(text).not.toMatch(/\{\{\w+\}\}/);
    const problems: ConfigProblem[] = [];
    expect(parseConfig(JSON.parse(text), problems), JSON.stringify(problems)).toBeDefined();
  });
});

/** Names of every app setting a file reads: env.X, env['X'], env[CONST], env[`${CONST}__x`]. */
function settingsReadBy(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const constants = new Map<string, string>();
  const names = new Set<string>();
  const evaluate = (node: ts.Expression): string => {
    if (ts.isStringLiteralLike(node)) return node.text;
    if (ts.isIdentifier(node) && constants.has(node.text)) return constants.get(node.text)!;
    if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => evaluate(s.expression) + s.literal.text).join('');
    throw new Error(`${file}: cannot tell which setting env[${node.getText(source)}] reads; use a string or a const`);
  };
  const visit = (node: ts.Node) => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'env') names.add(node.name.text);
    if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'env') names.add(evaluate(node.argumentExpression));
    ts.forEachChild(node, visit);
  };
  // Constants first (they may be declared after use in the file), then the reads.
  const collectConstants = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isStringLiteralLike(node.initializer)) {
      constants.set(node.name.text, node.initializer.text);
    }
    ts.forEachChild(node, collectConstants);
  };
  collectConstants(source);
  visit(source);
  return [...names].sort();
}

/** PT…H…M…S (the durations Bicep templates use here) in milliseconds. */
function isoDurationMs(text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) throw new Error(`not an ISO 8601 duration: ${text}`);
  const [days, hours, minutes, seconds] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number];
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
}

/** The keys of `var configValues = { ... }` in main.bicep: what {{key}} placeholders stand for. */
function placeholdersOf(bicep: string): string[] {
  const block = /^var configValues = \{\n([\s\S]*?)\n\}/m.exec(bicep);
  if (!block) throw new Error('main.bicep has no "var configValues = { ... }" block');
  return block[1]!.split('\n').flatMap((line) => /^\s*(\w+):/.exec(line)?.[1] ?? []);
}
