/**
 * Conditions already reported, kept across upkeep runs: one that lasts (a missing credential, a
 * missing scope, a subscription a user disabled) is logged when it is first seen, not on every
 * run, and again only after it went away and came back.
 */
export class Notices {
  private readonly said = new Set<string>();

  /** True the first time `key` is noted since it was last forgotten. */
  first(key: string): boolean {
    if (this.said.has(key)) return false;
    this.said.add(key);
    return true;
  }

  /** The condition is over: the next time it is noted counts as first again. */
  forget(key: string): void {
    this.said.delete(key);
  }

  /** Forgets every key starting with `prefix`. */
  forgetAll(prefix: string): void {
    for (const key of this.said) if (key.startsWith(prefix)) this.said.delete(key);
  }
}
