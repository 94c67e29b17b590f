import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Lookup = (hostname: string, options: unknown, callback?: LookupCallback) => void;

const routed = new Map<string, number>();
let original: Lookup | undefined;

/**
 * Makes `hostname` resolve to 127.0.0.1 in this process until the returned function is called.
 *
 * Why: the Key Vault SDK only answers a bearer challenge whose resource host is a suffix of
 * the vault's host (`*.vault.azure.net` for `https://vault.azure.net`), so an emulator at
 * `https://localhost` cannot pass without a test-only client option. Giving the emulator a
 * vault-like name and resolving it here keeps production code free of such options.
 * Every lookup Node's http/https/fetch clients do goes through `dns.lookup`.
 */
export function resolveToLoopback(hostname: string): () => void {
  const host = hostname.toLowerCase();
  routed.set(host, (routed.get(host) ?? 0) + 1);
  install();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (routed.get(host) ?? 1) - 1;
    if (left > 0) routed.set(host, left);
    else routed.delete(host);
    if (routed.size === 0) uninstall();
  };
}

function install(): void {
  if (original) return;
  const real = dns.lookup as unknown as Lookup;
  original = real;
  const patched: Lookup = (hostname, options, callback) => {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    if (!routed.has(String(hostname).toLowerCase())) {
      real.call(dns, hostname, options, callback);
      return;
    }
    const all = typeof options === 'object' && options !== null && (options as LookupOptions).all === true;
    if (all) process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }]);
    else process.nextTick(cb, null, '127.0.0.1', 4);
  };
  (dns as unknown as { lookup: Lookup }).lookup = patched;
}

function uninstall(): void {
  if (!original) return;
  (dns as unknown as { lookup: Lookup }).lookup = original;
  original = undefined;
}
