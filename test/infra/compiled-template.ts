import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The ARM JSON that infra/main.bicep compiles to (npm run infra:build), and small readers for
 * it. Modules compile to nested deployments (Microsoft.Resources/deployments with an inline
 * template), so a resource is found together with the chain of deployments above it.
 */
export const REPO = path.resolve(__dirname, '../..');
const MAIN_JSON = path.join(REPO, '.local/infra-build/main.json');

export interface ArmTemplate {
  readonly parameters?: Record<string, { readonly type: string; readonly defaultValue?: unknown }>;
  readonly variables?: Record<string, unknown>;
  readonly resources: ArmResource[];
  readonly outputs?: Record<string, { readonly type: string; readonly value: unknown }>;
}

export interface ArmResource {
  readonly type: string;
  readonly name: string;
  readonly condition?: string;
  readonly scope?: string;
  readonly resourceGroup?: string;
  readonly properties?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** A module: its deployment resource and the template it deploys. */
export interface Deployment {
  readonly resource: ArmResource;
  readonly template: ArmTemplate;
}

export interface Located {
  readonly resource: ArmResource;
  readonly template: ArmTemplate;
  /** Outermost first: the deployments whose templates hold this resource. */
  readonly chain: readonly Deployment[];
}

/** Builds the templates when a Bicep file changed since the last build (CI builds them first). */
export function compiledMainTemplate(): ArmTemplate {
  try {
    execFileSync('bash', [path.join(REPO, 'scripts/infra-build.sh'), '--if-stale'], { cwd: REPO, stdio: 'pipe', timeout: 55_000 });
  } catch (e) {
    const out = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`npm run infra:build failed:\n${String(out.stdout ?? '')}${String(out.stderr ?? out.message)}`);
  }
  return JSON.parse(readFileSync(MAIN_JSON, 'utf8')) as ArmTemplate;
}

/** Every resource of a type, at any depth of nested deployments. */
export function findResources(root: ArmTemplate, type: string): Located[] {
  const found: Located[] = [];
  const walk = (template: ArmTemplate, chain: readonly Deployment[]) => {
    if (!Array.isArray(template.resources)) {
      // Bicep switches a template to symbolic names (languageVersion 2.0) for typed parameters
      // and other newer features; these readers expect the classic resource array.
      throw new Error(
        `a module compiled to languageVersion ${String((template as { languageVersion?: string }).languageVersion)}; keep infra/ to untyped params (array, object)`,
      );
    }
    for (const resource of template.resources) {
      if (resource.type.toLowerCase() === type.toLowerCase()) found.push({ resource, template, chain });
      if (resource.type === 'Microsoft.Resources/deployments') {
        const nested = (resource.properties as { template?: ArmTemplate } | undefined)?.template;
        if (nested) walk(nested, [...chain, { resource, template: nested }]);
      }
    }
  };
  walk(root, []);
  return found;
}

/** The module deployment of that name in the main template. */
export function moduleNamed(root: ArmTemplate, name: string): Deployment {
  const resource = root.resources.find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === name);
  const template = (resource?.properties as { template?: ArmTemplate } | undefined)?.template;
  if (!resource || !template) throw new Error(`main.bicep has no module deployment named "${name}"`);
  return { resource, template };
}

/** The value a module passes for one of its parameters (an expression or a literal). */
export function moduleParameter(deployment: Deployment, name: string): unknown {
  const params = (deployment.resource.properties as { parameters?: Record<string, { value?: unknown }> } | undefined)?.parameters;
  if (!params || !(name in params)) throw new Error(`module ${deployment.resource.name} is given no parameter "${name}"`);
  return params[name]!.value;
}

/** `[variables('x')]` → the variable's value, repeatedly; anything else as it is. */
export function resolveVariables(value: unknown, template: ArmTemplate): unknown {
  for (let i = 0; i < 10 && typeof value === 'string'; i++) {
    const m = /^\[variables\('([^']+)'\)\]$/.exec(value);
    if (!m) break;
    value = template.variables?.[m[1]!];
  }
  return value;
}
