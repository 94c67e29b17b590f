import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileConfig } from '../../src/config/schema';
import { errorKind, type ScalerError } from '../../src/errors/scaler-error';
import { profileAgentName } from '../../src/launchers/agent-name';
import type { AgentSpec, LaunchedAgent, Launcher } from '../../src/launchers/launcher';
import { activeCrashLoop } from '../../src/scheduler/crash-loop';

/** What each launcher's test file gives the shared suite: the launcher wired to its emulator. */
export interface LauncherUnderTest {
  readonly launcher: Launcher;
  /** A profile whose launcher section points at the emulator. */
  readonly profile: ProfileConfig;
  readonly orgUrl: string;
  /**
   * The platform reports no exit code for a failed agent (the legacy virtual node's ACI connector
   * shows every exited container as exit code 0): the launcher must still report it failed.
   */
  readonly failuresWithoutExitCode?: boolean;
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

/** The contract every launcher passes: one interface, one suite that every implementation runs. */
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

    const running = (name: string) => eventually(async () => ((await t.launcher.status(name))?.phase === 'running' ? true : undefined), `${name} running`);
    const finished = (name: string) =>
      eventually(async () => ((await t.launcher.status(name))?.phase === 'finished' ? t.launcher.status(name) : undefined), `${name} finished`);

    it('goes from starting to running to finished, with the exit code or at least the failure', async () => {
      const ok = spec();
      const failed = spec();
      await t.launcher.start(ok);
      await t.launcher.start(failed);
      await running(ok.name);
      await running(failed.name);
      await t.finish(ok.name, 0);
      await t.finish(failed.name, 2);
      const done = await finished(ok.name);
      expect(done).toMatchObject({ exitCode: 0 });
      expect(done).not.toHaveProperty('failed');
      expect(await finished(failed.name)).toMatchObject(t.failuresWithoutExitCode ? { failed: true } : { exitCode: 2 });
    });

    it('lets the scheduler see a profile whose agents keep failing before a job (crash loop)', async () => {
      const profile = { ...t.profile, name: `${t.profile.name}-crashing` };
      const crashing = [spec({ profile }), spec({ profile }), spec({ profile })];
      for (const s of crashing) await t.launcher.start(s);
      for (const s of crashing) {
        await running(s.name);
        await t.finish(s.name, 1); // what start.sh exits with when the agent cannot register
      }
      const listed = await eventually(async () => {
        const agents = await t.launcher.list({ profile: profile.name });
        return agents.length === crashing.length && agents.every((a: LaunchedAgent) => a.phase === 'finished') ? agents : undefined;
      }, 'the crashing agents finished');
      expect(activeCrashLoop(listed, Date.now())).toMatchObject({ failures: 3 });
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
