import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../src/config/config-error';
import { DEMAND_QUEUE, parseConfig } from '../../src/config/load-settings';
import { CAPACITY_TABLE } from '../../src/launch/capacity-table';
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
    expect(codeSettings).toEqual(expect.arrayContaining(['SCALER_CONFIG', 'WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD', 'ServiceBusConnection__fullyQualifiedNamespace']));
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
  it('the demand queue and the storage tables', () => {
    expect(resolveVariables(moduleParameter(moduleNamed(main, 'service-bus'), 'queueName'), main)).toBe(DEMAND_QUEUE);
    const tables = moduleParameter(moduleNamed(main, 'storage'), 'tableNames') as unknown[];
    expect(tables.map((t) => resolveVariables(t, main)).sort()).toEqual([CAPACITY_TABLE, UPKEEP_TABLE].sort());
  });

  it('the function Event Grid delivers Key Vault events to', () => {
    const name = String(main.variables?.secretEventsFunctionName);
    expect(existsSync(path.join(REPO, 'functions', `${name}.ts`)), `functions/${name}.ts`).toBe(true);
  });

  it('main.parameters.json holds a valid configuration document once its placeholders are filled', () => {
    const placeholders = placeholdersOf(readFileSync(path.join(REPO, 'infra/main.bicep'), 'utf8'));
    expect(placeholders).toEqual(expect.arrayContaining(['vaultUrl', 'agentsIdentityId', 'aciSubnetId', 'agentsResourceGroup', 'subscriptionId', 'location', 'aksApiServer']));
    const sample: Record<string, string> = {
      vaultUrl: 'https://kv-adoscaler-abcdefgh.vault.azure.net',
      agentsIdentityId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ado-agents/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-adoscaler-agents',
      aciSubnetId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-adoscaler/subnets/aci-agents',
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

/** The keys of `var configValues = { ... }` in main.bicep: what {{key}} placeholders stand for. */
function placeholdersOf(bicep: string): string[] {
  const block = /^var configValues = \{\n([\s\S]*?)\n\}/m.exec(bicep);
  if (!block) throw new Error('main.bicep has no "var configValues = { ... }" block');
  return block[1]!.split('\n').flatMap((line) => /^\s*(\w+):/.exec(line)?.[1] ?? []);
}
