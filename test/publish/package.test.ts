import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installFunctionsCoreShim, registrations, triggerOf, type Registration } from '../../scripts/local-host/functions-core-shim';
import { FuncIgnore, packageFiles } from './core-tools-files';

/**
 * What `func azure functionapp publish <app>` uploads after `npm run build` (and, in the
 * deployment guide, `npm prune --omit=dev`): the repository's files filtered by .funcignore the
 * way Core Tools filters them. The functions are then loaded from the package the way the host
 * loads them, through package.json "main", with the local host's stand-in for the host's
 * @azure/functions-core module.
 */
const REPO = path.resolve(__dirname, '../..');
const NODE_MODULES = 'node_modules';

interface PackageJson {
  main: string;
  dependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as PackageJson;
const ignore = new FuncIgnore(readFileSync(path.join(REPO, '.funcignore'), 'utf8'));
let files: string[];
let mainFiles: string[];
let functions: Registration[];
let loadedFromRepo: string[];

beforeAll(() => {
  // The package is what the build leaves in dist/: build as the guide says to, unless dist/ is
  // already newer than every source (CI has just built it).
  if (!builtSinceLastChange()) {
    try {
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'pipe', timeout: 55_000 });
    } catch (e) {
      const out = e as { stdout?: Buffer; stderr?: Buffer; message: string };
      throw new Error(`npm run build failed:\n${String(out.stdout ?? '')}${String(out.stderr ?? out.message)}`);
    }
  }
  files = packageFiles(REPO, ignore, new Set([NODE_MODULES]));
  mainFiles = filesMatching(files, pkg.main);

  // Settings the function files need at load time (timers read their schedule from the config);
  // nothing connects anywhere until a function runs.
  Object.assign(process.env, {
    SCALER_CONFIG_FILE: path.join(REPO, 'config.sample.json'),
    ServiceBusConnection: 'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=k;UseDevelopmentEmulator=true',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    WEBHOOK_USERNAME: 'package-test',
    WEBHOOK_PASSWORD: 'package-test-password',
  });
  installFunctionsCoreShim();
  // Node's own require, as the Functions host's Node.js worker loads the app (not vitest's).
  const load = createRequire(path.join(REPO, 'package.json'));
  for (const file of mainFiles) load(path.join(REPO, file));
  functions = [...registrations];
  loadedFromRepo = Object.keys(load.cache)
    .filter((f) => f.startsWith(REPO + path.sep) && !f.startsWith(path.join(REPO, NODE_MODULES) + path.sep))
    // The shim's stand-in for the host's own @azure/functions-core: the host provides that one.
    .filter((f) => !f.endsWith('__functions-core__.js'))
    .map((f) => path.relative(REPO, f).split(path.sep).join('/'));
});

describe('the package func azure functionapp publish uploads', () => {
  it('holds host.json and package.json, whose "main" finds every compiled function file', () => {
    expect(files).toContain('host.json');
    expect(files).toContain('package.json');
    expect(pkg.main).toBe('dist/functions/*.js');
    const sources = functionSources();
    expect(mainFiles.sort()).toEqual(sources.map((f) => `dist/functions/${f.replace(/\.ts$/, '.js')}`).sort());
  });

  it('registers exactly one function per file in functions/, named after it', () => {
    const names = functions.map((f) => f.name).sort();
    expect(names).toEqual(
      functionSources()
        .map((f) => f.replace(/\.ts$/, ''))
        .sort(),
    );
    expect(names).toEqual(expect.arrayContaining(['webhook', 'reconcile', 'status', 'scheduler', 'upkeep']));
  });

  it('wires the triggers the Bicep and the service hook expect', () => {
    const trigger = (name: string) => {
      const f = functions.find((x) => x.name === name);
      if (!f) throw new Error(`function ${name} is not registered`);
      return triggerOf(f);
    };
    expect(trigger('webhook')).toMatchObject({ type: 'httpTrigger', authLevel: 'anonymous', route: 'webhook' });
    expect(trigger('status')).toMatchObject({ type: 'httpTrigger', authLevel: 'function', route: 'status' });
    expect(trigger('dashboard')).toMatchObject({ type: 'httpTrigger', authLevel: 'function', route: 'dashboard' });
    expect(trigger('scheduler')).toMatchObject({ type: 'serviceBusTrigger', queueName: 'signals', connection: 'ServiceBusConnection' });
    expect(trigger('reconcile')).toMatchObject({ type: 'timerTrigger' });
    if (functions.some((f) => f.name === 'secret-events')) expect(trigger('secret-events')).toMatchObject({ type: 'eventGridTrigger' });
  });

  it('holds every file the functions load from the repository, and they are all compiled JavaScript', () => {
    expect(loadedFromRepo.length).toBeGreaterThan(mainFiles.length);
    for (const file of loadedFromRepo) {
      expect(files, `${file} is loaded by the functions but left out of the package`).toContain(file);
      expect(file).toMatch(/^dist\/(functions|src)\/.+\.js$/);
    }
  });

  it('holds the production dependencies', () => {
    for (const dependency of Object.keys(pkg.dependencies)) {
      const manifest = `${NODE_MODULES}/${dependency}/package.json`;
      expect(existsSync(path.join(REPO, manifest)), `${dependency} is installed`).toBe(true);
      expect(ignore.accepts(manifest), `${manifest} is packaged`).toBe(true);
    }
  });

  it('holds nothing secret, local, test-only or source', () => {
    const forbidden: Array<[RegExp, string]> = [
      [/^local\.settings/, 'local settings'],
      [/(^|\/)\.env/, 'environment files'],
      [/\.(pem|key|pfx)$/, 'keys and certificates'],
      [/^\.local\//, 'local state: the Bicep CLI, test CA keys'],
      [/^(test|dist\/test|emulators|dist\/emulators)\//, 'tests and emulators'],
      [/^(scripts|dist\/scripts)\//, 'the local host and CLI scripts'],
      [/^(src|functions|infra|docs|\.ci)\//, 'sources, infrastructure and docs'],
      [/\.(ts|mts|map)$/, 'TypeScript and source maps'],
      [/^config\.sample\.json$/, 'the sample config'],
    ];
    for (const file of files) {
      for (const [pattern, what] of forbidden) expect(pattern.test(file), `${file}: ${what} must stay out of the package`).toBe(false);
    }
  });

  it('is small: compiled JavaScript and manifests besides node_modules', () => {
    const outside = files.filter((f) => !/^dist\/(functions|src)\/.+\.js$/.test(f));
    expect(outside.sort()).toEqual(['host.json', 'package-lock.json', 'package.json']);
  });
});

/** Every function has its compiled file, written after the newest change to functions/, src/ or the tsconfigs. */
function builtSinceLastChange(): boolean {
  const mtime = (f: string) => statSync(f).mtimeMs;
  const sources = (dir: string): string[] =>
    readdirSync(path.join(REPO, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => path.join(REPO, dir, f));
  const inputs = [...sources('functions'), ...sources('src'), path.join(REPO, 'tsconfig.json'), path.join(REPO, 'tsconfig.build.json')];
  const outputs = functionSources().map((f) => path.join(REPO, 'dist/functions', f.replace(/\.ts$/, '.js')));
  if (!outputs.every((f) => existsSync(f))) return false;
  return Math.max(...inputs.map(mtime)) < Math.min(...outputs.map(mtime));
}

function functionSources(): string[] {
  return readdirSync(path.join(REPO, 'functions')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
}

/** The files a package.json "main" glob (a folder and a `*` file pattern) names. */
function filesMatching(all: string[], glob: string): string[] {
  const dir = path.posix.dirname(glob);
  const name = new RegExp(
    `^${path.posix
      .basename(glob)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '[^/]*')}$`,
  );
  return all.filter((f) => path.posix.dirname(f) === dir && name.test(path.posix.basename(f)));
}
