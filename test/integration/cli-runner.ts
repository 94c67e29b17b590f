import { Readable } from 'node:stream';
import type { CliIo } from '../../scripts/cli/cli-io';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs a CLI's `main` in this process, as `npm run <script>` would, with the given arguments,
 * environment and stdin (a pipe). In-process, the CLI reaches the emulators this test started:
 * the Key Vault emulator's host name resolves here (loopback-dns.ts) and the test CA is trusted.
 */
export async function runCli(
  main: (argv: string[], io: CliIo) => Promise<number>,
  argv: string[],
  options: { env: Record<string, string | undefined>; stdin?: string },
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    env: options.env,
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
