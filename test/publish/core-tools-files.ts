import { readdirSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Which files `func azure functionapp publish` puts in the package, decided as Azure Functions
 * Core Tools decides it (Azure.Functions.Cli: ZipHelper.GetLocalFiles and GitIgnoreParser, itself
 * a port of the gitignore-parser npm package). Its rules differ from git's: each file's path is
 * matched from its start against every pattern as a prefix regex, `*` stays within one folder
 * and `**` crosses folders, `!` re-admits, and a leading `/` is dropped.
 */
export class FuncIgnore {
  private readonly positive: RegExp;
  private readonly negative: RegExp;

  constructor(content: string) {
    const positive: string[] = [];
    const negative: string[] = [];
    for (const raw of content.split('\n')) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const isNegative = line.startsWith('!');
      if (isNegative) line = line.slice(1);
      if (line.startsWith('/')) line = line.slice(1);
      (isNegative ? negative : positive).push(line);
    }
    this.positive = FuncIgnore.compile(positive);
    this.negative = FuncIgnore.compile(negative);
  }

  /** `relativePath` with forward slashes, as Core Tools builds it. */
  accepts(relativePath: string): boolean {
    return this.negative.test(relativePath) || !this.positive.test(relativePath);
  }

  private static compile(patterns: string[]): RegExp {
    if (patterns.length === 0) return /$^/;
    const prepared = [...patterns].sort().map((p) =>
      p
        .replace(/[-[\]/{}()+?.\\^$|]/g, '\\$&')
        .replaceAll('**', '(.+)')
        .replaceAll('*', '([^\\/]+)'),
    );
    return new RegExp(`^((${prepared.join(')|(')}))`);
  }
}

// Core Tools skips these folders and file names wherever they are, whatever .funcignore says.
const SKIPPED_FOLDERS = new Set(['.git', '.vscode']);
const SKIPPED_FILES = new Set(['.funcignore', '.gitignore', 'appsettings.json', 'local.settings.json', 'project.lock.json']);

/**
 * The package's files, relative to `root` with forward slashes. Folders in `notWalked` (e.g.
 * node_modules, tens of thousands of files) are left out of the walk; ask `accepts` about them.
 */
export function packageFiles(root: string, ignore: FuncIgnore, notWalked: ReadonlySet<string> = new Set()): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !notWalked.has(relative)) walk(full);
      } else if (!SKIPPED_FILES.has(entry.name) && ignore.accepts(relative)) {
        files.push(relative);
      }
    }
  };
  walk(root);
  return files.sort();
}
