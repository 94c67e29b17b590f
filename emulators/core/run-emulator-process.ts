/** What an emulator's main.ts hands over once it listens. */
export interface StartedEmulator {
  close(): Promise<void>;
  /** Printed as one JSON line with `emulator: name`, so a parent process can read the URLs. */
  readonly announce: Readonly<Record<string, unknown>>;
}

/**
 * Runs an emulator as its own process: one JSON line on stdout once it listens, a clean exit on
 * SIGINT/SIGTERM, exit 1 with the reason if it cannot start or close.
 */
export function runEmulatorProcess(name: string, start: () => Promise<StartedEmulator>): void {
  const fail = (what: string) => (error: unknown) => {
    console.error(`${name} emulator: ${what}${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  };
  start().then((emulator) => {
    console.log(JSON.stringify({ emulator: name, ...emulator.announce }));
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      emulator.close().then(() => process.exit(0), fail('close failed: '));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }, fail(''));
}
