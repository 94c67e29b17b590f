import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileConfig } from '../../src/config/schema';
import { errorKind, type ScalerError } from '../../src/errors/scaler-error';
import { profileAgentName } from '../../src/launchers/agent-name';
import type { AgentSpec, Launcher } from '../../src/launchers/launcher';

/** What each launcher's test file gives the shared suite: the launcher wired to its emulator. */
export interface LauncherUnderTest {
  readonly launcher: Launcher;
  /** A profile whose launcher section points at the emulator. */
  readonly profile: ProfileConfig;
  readonly orgUrl: string;
  /** Makes the started agent's container exit with this code, as a finished one-shot agent does. */
  finish(name: string, exitCode: number): Promise<void>;
  /** Creates a container group / Job in the launcher's scope that this scaler did not start. */
  addForeign(name: string): Promise<void>;
  /** The next call of this kind to the backend fails: 429 with Retry-After, a quota error, or a 5xx. */
  injectFault(fault: 'throttle' | 'quota' | 'server'): void;
  /** Places the PAT appears in captured backend traffic outside its secure channel (ACI secureValue, Secret data). */
  patExposures(pat: string): string[];
  close(): Promise<void>;
}

/** The contract every launcher passes (STYLE.md: one interface, one suite). */
export function describeLauncherContract(kind: string, setup: () => Promise<LauncherUnderTest>): void {
  describe(`${kind} launcher contract`, () => {
    let t: LauncherUnderTest;
    let next = 5000;
    const spec = (overrides: Partial<AgentSpec> = {}): AgentSpec => {
      const n = next++;
      const pool = overrides.pool ?? 'linux';
      return {
        name: profileAgentName(t.orgUrl, pool, t.profile.name, n.toString(36).padStart(6, '0')),
        orgUrl: t.orgUrl,
        pool,
        profile: t.profile,
        pat: `pat-${n}-s3cr3t`,
        ...overrides,
      };
    };
    const eventually = async <T>(check: () => Promise<T | undefined>, what: string): Promise<T> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    beforeAll(async () => {
      t = await setup();
    });
    afterAll(() => t?.close());

    it('starts an agent and reports it with what identifies it', async () => {
      const s = spec();
      expect(await t.launcher.start(s)).toEqual({ name: s.name, outcome: 'created' });
      const agent = await t.launcher.status(s.name);
      expect(agent).toMatchObject({ name: s.name, orgUrl: s.orgUrl, pool: 'linux', profile: t.profile.name });
      expect(['starting', 'running']).toContain(agent?.phase);
      expect(Math.abs(agent!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    });

    it('starting the same agent again finds it instead of starting a second one', async () => {
      const s = spec();
      await t.launcher.start(s);
      expect(await t.launcher.start(s)).toEqual({ name: s.name, outcome: 'exists' });
      expect((await t.launcher.list()).filter((a) => a.name === s.name)).toHaveLength(1);
    });

    it('goes from starting to running to finished with the exit code', async () => {
      const ok = spec();
      const failed = spec();
      await t.launcher.start(ok);
      await t.launcher.start(failed);
      await eventually(async () => ((await t.launcher.status(ok.name))?.phase === 'running' ? true : undefined), 'running');
      await t.finish(ok.name, 0);
      await t.finish(failed.name, 2);
      expect(await eventually(async () => ((await t.launcher.status(ok.name))?.phase === 'finished' ? t.launcher.status(ok.name) : undefined), 'finished')).toMatchObject({ exitCode: 0 });
      expect(await eventually(async () => ((await t.launcher.status(failed.name))?.phase === 'finished' ? t.launcher.status(failed.name) : undefined), 'finished')).toMatchObject({ exitCode: 2 });
    });

    it('reports whether an agent was started for standby', async () => {
      const standby = spec({ standby: true });
      const plain = spec();
      await t.launcher.start(standby);
      await t.launcher.start(plain);
      const listed = await t.launcher.list({ pool: 'linux' });
      const [a, b] = [listed.find((x) => x.name === standby.name), listed.find((x) => x.name === plain.name)];
      expect(a).toMatchObject({ profile: t.profile.name, pool: 'linux', standby: true });
      expect(b).toMatchObject({ profile: t.profile.name, pool: 'linux' });
      expect(b).not.toHaveProperty('standby');
      expect(await t.launcher.status(standby.name)).toMatchObject({ standby: true });
    });

    it('lists only its own agents, filtered by profile and pool', async () => {
      const gpu = spec({ pool: 'gpu' });
      await t.launcher.start(gpu);
      await t.addForeign('someone-elses-container');
      const all = await t.launcher.list();
      expect(all.map((a) => a.name)).toContain(gpu.name);
      expect(all.map((a) => a.name)).not.toContain('someone-elses-container');
      expect((await t.launcher.list({ pool: 'gpu' })).map((a) => a.name)).toEqual([gpu.name]);
      expect(await t.launcher.list({ profile: 'no-such-profile' })).toEqual([]);
      expect(await t.launcher.status('someone-elses-container')).toBeUndefined();
    });

    it('deletes idempotently', async () => {
      const s = spec();
      await t.launcher.start(s);
      await t.launcher.delete(s.name);
      await eventually(async () => ((await t.launcher.status(s.name)) === undefined ? true : undefined), 'deleted');
      await t.launcher.delete(s.name);
      expect((await t.launcher.list()).map((a) => a.name)).not.toContain(s.name);
    });

    it.each([
      ['throttle', 'throttled'],
      ['quota', 'throttled'],
      ['server', 'transient'],
    ] as const)('fails a start on %s as %s, without starting it', async (fault, kind) => {
      const s = spec();
      t.injectFault(fault);
      const error = (await t.launcher.start(s).then(
        () => undefined,
        (e: unknown) => e,
      )) as ScalerError | undefined;
      expect(error, 'start should fail').toBeDefined();
      expect(errorKind(error)).toBe(kind);
      if (kind === 'throttled') expect(error?.retryAfterMs).toBeGreaterThan(0);
      expect(error?.message).not.toContain(s.pat);
      // The fault was one call: the retry succeeds and there is one agent.
      await t.launcher.start(s);
      expect((await t.launcher.list()).filter((a) => a.name === s.name)).toHaveLength(1);
    });

    it('never sends the PAT outside its secure channel', () => {
      expect(t.patExposures('-s3cr3t')).toEqual([]);
    });
  });
}
