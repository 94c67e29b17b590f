import path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '..');

describe('test tiers', async () => {
  const { testTiers } = await import('./tiers.mjs'); // ESM: vitest.config.mts loads it too
  const tiers = testTiers(REPO);

  it('puts a test that imports an emulator, directly or through a helper, among the scenarios', () => {
    expect(tiers.scenarios).toContain('src/secrets/pat-store.test.ts'); // emulators/key-vault
    expect(tiers.scenarios).toContain('scripts/bench/trace.test.ts'); // through scripts/bench/run-trace
    expect(tiers.scenarios).toContain('test/integration/webhook.test.ts'); // through the scaler harness
    expect(tiers.scenarios).toContain('test/infra/alerts.test.ts'); // runs the Bicep build if stale
    expect(tiers.scenarios).toContain('emulators/core/test-ca.test.ts'); // opens sockets itself
    expect(tiers.scenarios).toContain('test/scheduler/pool-lease.test.ts'); // starts Azurite
    expect(tiers.scenarios).toContain('emulators/key-vault/key-vault-emulator.test.ts'); // starts HTTPS emulators
  });

  it('puts the tests that need none of that in the unit tier, this one among them', () => {
    expect(tiers.unit).toContain('src/webhook/basic-auth.test.ts');
    expect(tiers.unit).toContain('scripts/bench/figures.test.ts');
    expect(tiers.unit).toContain('test/tiers.test.ts');
    expect(tiers.unit).toContain('emulators/core/faults.test.ts'); // an emulator's pure part: no server reached
    expect(tiers.unit.filter((file) => tiers.scenarios.includes(file))).toEqual([]);
  });

  // The guard (test/unit-guard.ts) is the unit tier's setup file: in that tier, a test that
  // reaches a socket or a process fails at once.
  it('refuses sockets and processes in the unit tier', () => {
    const net = process.getBuiltinModule('node:net');
    const childProcess = process.getBuiltinModule('node:child_process');
    expect(() => net.createServer().listen(0)).toThrow(/not allowed in the unit tier/);
    expect(() => net.connect(1, '127.0.0.1')).toThrow(/not allowed in the unit tier/);
    expect(() => childProcess.execFileSync('true')).toThrow(/not allowed in the unit tier/);
  });
});
