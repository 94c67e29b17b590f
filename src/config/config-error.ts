export interface ConfigProblem {
  /** Where: an app setting name, or a path in the config document such as organizations[0].url. */
  readonly path: string;
  /** What is wrong and what to write instead. */
  readonly message: string;
}

/** Every configuration problem at once, so one deployment fixes them all. */
export class ConfigError extends Error {
  readonly kind = 'permanent';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `ado-agent-scaler configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
