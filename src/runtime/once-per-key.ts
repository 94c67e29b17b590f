/**
 * Memoizes an async factory per key: concurrent callers share one creation, and a failed one is
 * forgotten so the next call tries again (a Key Vault or ADO outage must not stick).
 */
export function oncePerKey<V>(make: (key: string) => Promise<V>): (key: string) => Promise<V> {
  const made = new Map<string, Promise<V>>();
  return (key) => {
    let value = made.get(key);
    if (!value) {
      value = make(key);
      made.set(key, value);
      value.catch(() => made.delete(key));
    }
    return value;
  };
}
