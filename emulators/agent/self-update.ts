/**
 * What a one-shot agent does with an update ADO asks for, per microsoft/azure-pipelines-agent:
 * the listener (Agent.cs) skips the request when the environment variable `agent.disableupdate`
 * has any value; otherwise it downloads the target version at once (SelfUpdater.cs), waits for
 * the job it runs, and exits with code 4 (RunOnceAgentUpdating). run.sh then starts the updated
 * listener once more, `--once` again, so it waits for another job; a second code 4 it passes on.
 */
export class SelfUpdate {
  private readonly disabled: boolean;
  private target: string | undefined;
  private restartsLeft = 1;
  private skipNoted = false;

  constructor(
    env: Readonly<Record<string, string>>,
    private readonly log: (line: string) => void,
  ) {
    this.disabled = Boolean(env['agent.disableupdate']);
  }

  /** ADO asks for `target`: whether the agent takes it (at most one at a time). */
  take(target: string): boolean {
    if (this.disabled) {
      if (!this.skipNoted) this.log(`skips the update to ${target}: agent.disableupdate is set`);
      this.skipNoted = true;
      return false;
    }
    if (this.target === undefined) {
      this.target = target;
      this.log(`Agent update in progress, do not shutdown agent. Downloading ${target} agent`);
    }
    return true;
  }

  /** An update was taken and waits for the job to end. */
  get pending(): boolean {
    return this.target !== undefined;
  }

  /**
   * The listener exits for the update: the version run.sh starts next, or undefined when run.sh
   * has restarted it once already and exits with the listener's code.
   */
  restart(): string | undefined {
    const target = this.target;
    this.target = undefined;
    if (target === undefined || this.restartsLeft === 0) return undefined;
    this.restartsLeft -= 1;
    return target;
  }
}
