import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * infra/agent-image/start.sh, run for real against a stand-in agent package: no Docker engine
 * runs here, so the image is not built, but its entrypoint is exercised as the container runs
 * it: the packages API of an "organization" on loopback, the tarball it points to, config.sh
 * and run.sh that record what they were given.
 */
const START_SH = path.resolve(__dirname, '../../infra/agent-image/start.sh');
const TOKEN = 'pat-value-that-must-not-leak-7f3a';
const isRoot = process.getuid?.() === 0;

// Stand-ins for the agent's scripts: they log their arguments (and run.sh its identity and
// environment), and run.sh waits for a signal when FAKE_WAIT is set, as a busy agent would.
const FAKE_CONFIG = `#!/usr/bin/env bash
printf 'config %s\\n' "$*" >>"$FAKE_LOG"
if [[ $1 == remove ]]; then rm -f .agent; else touch .agent; fi
`;
const FAKE_RUN = `#!/usr/bin/env bash
{ printf 'run %s\\n' "$*"; printf 'uid %s\\n' "$(id -u)"; } >>"$FAKE_LOG"
env >"$FAKE_RUN_ENV"
if [[ -n \${FAKE_WAIT:-} ]]; then
  trap 'echo interrupted >>"$FAKE_LOG"; exit 0' INT
  touch "$FAKE_STARTED"
  while :; do sleep 0.1; done
fi
`;

let work: string;
let server: Server;
let orgUrl: string;
const apiCalls: Array<{ url: string; authorization: string | undefined }> = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'agent-start-'));
  chmodSync(work, 0o755);
  const pkg = path.join(work, 'pkg');
  mkdirSync(pkg);
  writeFileSync(path.join(pkg, 'config.sh'), FAKE_CONFIG, { mode: 0o755 });
  writeFileSync(path.join(pkg, 'run.sh'), FAKE_RUN, { mode: 0o755 });
  const tarball = path.join(work, 'agent.tar.gz');
  const tar = spawnSync('tar', ['-czf', tarball, '-C', pkg, '.']);
  if (tar.status !== 0) throw new Error(`tar failed: ${String(tar.stderr)}`);
  const body = readFileSync(tarball);
  const hash = createHash('sha256').update(body).digest('hex');

  server = createServer((req, res) => {
    if (req.url?.startsWith('/contoso/_apis/distributedtask/packages/agent')) {
      apiCalls.push({ url: req.url, authorization: req.headers.authorization });
      if (req.headers.authorization !== `Basic ${Buffer.from(`:${TOKEN}`).toString('base64')}`) {
        res.writeHead(401).end();
        return;
      }
      const downloadUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent.tar.gz`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ count: 1, value: [{ type: 'agent', platform: 'linux-x64', downloadUrl, hashValue: hash }] }));
    } else if (req.url === '/agent.tar.gz') {
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // With a trailing slash, as users paste it: start.sh drops it.
  orgUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/contoso/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stderr: string;
  readonly log: string[];
  readonly runEnv: string;
  /** /proc/<pid>/environ of start.sh while the agent ran (FAKE_WAIT runs only). */
  readonly startEnviron?: string;
}

let runCount = 0;

/** Runs start.sh in a fresh agent folder; `whileRunning` acts once run.sh has started (FAKE_WAIT). */
async function runStart(env: Record<string, string>, whileRunning?: (pid: number) => void): Promise<Run> {
  const dir = path.join(work, `run-${++runCount}`);
  mkdirSync(path.join(dir, 'agent'), { recursive: true });
  chmodSync(dir, 0o777);
  const files = { log: path.join(dir, 'log'), runEnv: path.join(dir, 'run-env'), started: path.join(dir, 'started') };
  writeFileSync(files.log, '', { mode: 0o666 });
  writeFileSync(files.runEnv, '', { mode: 0o666 });
  chmodSync(files.log, 0o666);
  chmodSync(files.runEnv, 0o666);
  const child = spawn('bash', [START_SH], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AZP_URL: orgUrl,
      AZP_POOL: 'linux',
      AZP_AGENT_NAME: 'ado-linux-3f9a1c-1042',
      AZP_AGENT_DIR: path.join(dir, 'agent'),
      AZP_STOP_GRACE_SECONDS: '5',
      FAKE_LOG: files.log,
      FAKE_RUN_ENV: files.runEnv,
      FAKE_STARTED: files.started,
      docker: '',
      ...env,
    },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let startEnviron: string | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  if (whileRunning) {
    const deadline = Date.now() + 20_000;
    while (!existsSync(files.started)) {
      if (Date.now() > deadline) throw new Error(`run.sh did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    startEnviron = readFileSync(`/proc/${child.pid}/environ`, 'utf8');
    whileRunning(child.pid!);
  }
  const code = await exited;
  return {
    code,
    stderr,
    log: readFileSync(files.log, 'utf8').split('\n').filter(Boolean),
    runEnv: readFileSync(files.runEnv, 'utf8'),
    ...(startEnviron !== undefined ? { startEnviron } : {}),
  };
}

describe('agent image start.sh', () => {
  it("fetches the organization's agent package, registers, runs one job and keeps the token from the job", async () => {
    const run = await runStart({ AZP_TOKEN: TOKEN, AZP_RUN_AS_ROOT: 'true' });

    expect(run.code, run.stderr).toBe(0);
    const [lookup] = apiCalls.slice(-1);
    expect(lookup?.url).toBe('/contoso/_apis/distributedtask/packages/agent?platform=linux-x64&$top=1');
    expect(run.log[0]).toBe(
      `config --unattended --url ${orgUrl.replace(/\/$/, '')} --auth pat --token ${TOKEN} --pool linux --agent ado-linux-3f9a1c-1042 --work _work --replace --acceptTeeEula`,
    );
    expect(run.log[1]).toBe('run --once');
    // The job's environment: the capability is there, the token is not, under any name.
    expect(run.runEnv).toMatch(/^docker=$/m);
    expect(run.runEnv).not.toContain(TOKEN);
    expect(run.runEnv).not.toMatch(/^AZP_TOKEN/m);
    // Root mode drops the token after registering, so nothing is left to deregister with.
    expect(run.log.some((l) => l.startsWith('config remove'))).toBe(false);
  });

  it('runs the agent so that it cannot update itself during its one job', async () => {
    // The listener skips ADO's update message when `agent.disableupdate` is set (any value):
    // an update under --once would take the one-shot agent down or bring it back for a second job.
    const run = await runStart({ AZP_TOKEN: TOKEN, AZP_RUN_AS_ROOT: 'true' });

    expect(run.code, run.stderr).toBe(0);
    expect(run.runEnv).toMatch(/^agent\.disableupdate=.+$/m);
    // Not a capability: the pool shows the profile's capabilities, nothing of the image's plumbing.
    expect(run.runEnv).toMatch(/^VSO_AGENT_IGNORE=(.*,)?agent\.disableupdate(,.*)?$/m);
  });

  it('stops the agent with SIGINT on SIGTERM and exits 143, with the token gone from its own environment', async () => {
    const run = await runStart({ AZP_TOKEN: TOKEN, AZP_RUN_AS_ROOT: 'true', FAKE_WAIT: '1' }, (pid) => process.kill(pid, 'SIGTERM'));

    expect(run.code, run.stderr).toBe(143);
    expect(run.log).toContain('interrupted');
    // /proc/<pid>/environ of the entrypoint while the job ran: re-exec'd without the token.
    expect(run.startEnviron).toBeDefined();
    expect(run.startEnviron).not.toContain(TOKEN);
    expect(run.stderr).not.toContain(TOKEN);
  });

  it.skipIf(!isRoot)('runs the job as an unprivileged user and deregisters with the token only it kept', async () => {
    const run = await runStart({ AZP_TOKEN: TOKEN, AZP_AGENT_USER: 'nobody' });

    expect(run.code, run.stderr).toBe(0);
    expect(run.log).toContain(`uid ${spawnSync('id', ['-u', 'nobody']).stdout.toString().trim()}`);
    expect(run.runEnv).not.toContain(TOKEN);
    expect(run.log.at(-1)).toBe(`config remove --unattended --auth pat --token ${TOKEN}`);
  });

  it('reads the token from AZP_TOKEN_FILE and deletes the file', async () => {
    const file = path.join(work, 'token-file');
    writeFileSync(file, `${TOKEN}\n`);
    const run = await runStart({ AZP_TOKEN_FILE: file, AZP_RUN_AS_ROOT: 'true' });

    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(run.log[0]).toContain(`--token ${TOKEN} `);
  });

  it('refuses to start without a token, saying what to set', async () => {
    const run = await runStart({ AZP_RUN_AS_ROOT: 'true' });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('AZP_TOKEN is not set');
    expect(run.log).toEqual([]);
  });
});
