// Which test files are unit tests and which are scenarios, decided from what each file imports,
// so a new test lands in the right tier without anyone listing it (README "Testing").
//
// A test file is a scenario when
//   - it, or any of our files it imports (at run time, transitively), is a file under emulators/
//     that imports a server (node:net, node:http, node:https, node:http2, node:tls, node:dgram,
//     or rhea for AMQP): it can start an emulator (an emulator's pure parts, its fault rules or
//     latency draws, stay unit tests);
//   - any of those files imports node:child_process, playwright-core or azurite: it starts
//     processes or a browser;
//   - the test file itself imports node:net, node:http, node:https, node:http2, node:tls or
//     node:dgram: it opens sockets;
//   - or it says so with a line `// test-tier: scenarios`.
// Every other test file is a unit test. The unit tier's setup file (test/unit-guard.ts) makes
// listening, connecting and spawning throw, so a unit test that reaches a socket or a process
// some other way fails, saying why, instead of quietly slowing the tier.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface TestTiers {
  readonly unit: string[];
  readonly scenarios: string[];
}

const TEST_ROOTS = ['src', 'test', 'functions', 'scripts', 'emulators'];
const TEST_FILE = /\.test\.m?ts$/;
const EMULATORS = `emulators${path.sep}`;
const STARTS_PROCESSES = /^(node:)?child_process$|^playwright-core(\/|$)|^azurite(\/|$)/;
const OPENS_SOCKETS = /^(node:)?(net|http|https|http2|tls|dgram)$/;
// What an emulator listens with: Node's servers, or rhea for Service Bus's AMQP.
const SERVES = /^(node:)?(net|http|https|http2|tls|dgram)$|^rhea(\/|$)/;
const MARKER = /^\s*\/\/\s*test-tier:\s*scenarios\s*$/m;

// Run-time imports: `import … from`, `export … from`, `import '…'`, `import('…')`, `require('…')`;
// `import type` and `export type` load nothing and are left out.
const STATIC_IMPORT = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

export function testTiers(root: string): TestTiers {
  const unit: string[] = [];
  const scenarios: string[] = [];
  const graph = new ImportGraph();
  for (const file of testFiles(root)) {
    const relative = path.relative(root, file).split(path.sep).join('/');
    (isScenario(file, root, graph) ? scenarios : unit).push(relative);
  }
  return { unit, scenarios };
}

function isScenario(testFile: string, root: string, graph: ImportGraph): boolean {
  const source = readFileSync(testFile, 'utf8');
  if (MARKER.test(source)) return true;
  if (imports(source).some((specifier) => OPENS_SOCKETS.test(specifier))) return true;
  const emulators = path.join(root, EMULATORS);
  for (const file of graph.reachable(testFile)) {
    if (file.startsWith(emulators) && graph.specifiers(file).some((specifier) => SERVES.test(specifier))) return true;
    if (graph.specifiers(file).some((specifier) => STARTS_PROCESSES.test(specifier))) return true;
  }
  return false;
}

function testFiles(root: string): string[] {
  const found: string[] = [];
  for (const dir of TEST_ROOTS) {
    const absolute = path.join(root, dir);
    if (!existsSync(absolute)) continue;
    for (const entry of readdirSync(absolute, { recursive: true, encoding: 'utf8' })) {
      if (TEST_FILE.test(entry) && !entry.split(path.sep).includes('node_modules')) found.push(path.join(absolute, entry));
    }
  }
  return found.sort();
}

function imports(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(STATIC_IMPORT)) if (!match[2]) specifiers.push(match[3]!);
  for (const match of source.matchAll(DYNAMIC_IMPORT)) specifiers.push(match[1]!);
  return specifiers;
}

/** Our own TypeScript files and what they import, read once each. */
class ImportGraph {
  private readonly cache = new Map<string, string[]>();

  specifiers(file: string): string[] {
    let specifiers = this.cache.get(file);
    if (!specifiers) {
      specifiers = imports(readFileSync(file, 'utf8'));
      this.cache.set(file, specifiers);
    }
    return specifiers;
  }

  /** The file and every file of ours it reaches through relative imports. */
  reachable(start: string): Set<string> {
    const seen = new Set<string>([start]);
    const queue = [start];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      for (const specifier of this.specifiers(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = resolve(path.resolve(path.dirname(file), specifier));
        if (target && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
    return seen;
  }
}

function resolve(base: string): string | undefined {
  const stem = base.replace(/\.(m?js|cjs)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.mts`, path.join(base, 'index.ts')];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile() && /\.m?ts$/.test(candidate));
}
