// Setup file of the unit tier (vitest.config.mts): a unit test opens no socket and starts no
// process. Listening, connecting and spawning throw here, so a test that test/tiers.mts took for a
// unit test but that reaches an emulator, the network or a child process fails at once, saying
// where it belongs, instead of slowing the tier everyone runs before each commit.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const WHY =
  'is not allowed in the unit tier (npm run test:unit): a test that opens sockets or starts processes ' +
  'is a scenario. Import what it needs explicitly (an emulator from emulators/, node:net, node:http, ' +
  'node:child_process...) or add the line `// test-tier: scenarios`, and it runs in npm run test:scenarios ' +
  '(see test/tiers.mts).';

function refuse(what: string): never {
  throw new Error(`${what} ${WHY}`);
}

net.Server.prototype.listen = function listen(): never {
  refuse('Listening on a socket');
};
net.Socket.prototype.connect = function connect(): never {
  refuse('Opening a socket');
};
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.defineProperty(childProcess, name, {
    value: () => refuse(`Starting a process (child_process.${name})`),
    writable: true,
    configurable: true,
  });
}
syncBuiltinESMExports();
