import type { ReadStream } from 'node:tty';
import type { AdoCredential } from '../../src/ado/ado-credential';
import { errorMessage } from '../../src/errors/error-message';

/** What a CLI touches of its process, so tests run `main` in-process with their own. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  out(line: string): void;
  err(line: string): void;
}

export function processIo(): CliIo {
  return {
    env: process.env,
    stdin: process.stdin,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}

/** Runs a CLI's main when the file is the program, setting the exit code it answers. */
export function runMain(module: NodeModule, main: (argv: string[], io: CliIo) => Promise<number>): void {
  if (require.main !== module) return;
  main(process.argv.slice(2), processIo()).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      console.error(errorMessage(e));
      process.exitCode = 1;
    },
  );
}

/**
 * A secret from stdin, never echoed: typed at a terminal (raw mode, nothing shown), or the
 * first line of a pipe (`printf %s "$PAT" | npm run ...`).
 */
export async function readSecret(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin as CliIo['stdin'] & Partial<Pick<ReadStream, 'setRawMode'>>;
  if (stdin.isTTY && stdin.setRawMode) return typed(stdin as unknown as ReadStream, prompt);
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

function typed(stdin: ReadStream, prompt: string): Promise<string> {
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (keys: string) => {
      for (const key of keys) {
        if (key === '\r' || key === '\n') {
          finish();
          return resolve(value.trim());
        }
        if (key === '\u0003' || key === '\u0004') {
          finish();
          return reject(new Error('cancelled'));
        }
        value = key === '\u007f' || key === '\b' ? value.slice(0, -1) : value + key;
      }
    };
    stdin.on('data', onData);
  });
}

/** Azure DevOps as `az devops` authenticates: AZURE_DEVOPS_EXT_PAT, else your Microsoft Entra login. */
export async function cliAdoCredential(env: CliIo['env']): Promise<AdoCredential> {
  const { entraCredential, fixedPatCredential } = await import('../../src/ado/ado-credential.js');
  const pat = env.AZURE_DEVOPS_EXT_PAT?.trim();
  if (pat) return fixedPatCredential(pat, 'the PAT in AZURE_DEVOPS_EXT_PAT');
  const { DefaultAzureCredential } = await import('@azure/identity');
  return { ...entraCredential(new DefaultAzureCredential()), description: 'your Microsoft Entra login (az login), or set AZURE_DEVOPS_EXT_PAT' };
}

export function messageOf(e: unknown): string {
  return errorMessage(e);
}
