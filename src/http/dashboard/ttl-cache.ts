/**
 * A small time-to-live cache with single flight: while a value is being computed every caller of the
 * same key shares that computation, and a computed value is served until it is `ttlMs` old. Many
 * browsers watching the dashboard then cost one ledger computation every few seconds, not one each.
 * A failed computation is not cached. The oldest entries go when there are more than `maxEntries`.
 */
export interface TtlCache<V> {
  get(key: string, compute: () => Promise<V>): Promise<V>;
  clear(): void;
}

export function createTtlCache<V>(opts: { ttlMs: number; maxEntries?: number; now?: () => number }): TtlCache<V> {
  const now = opts.now ?? Date.now;
  const maxEntries = opts.maxEntries ?? 16;
  const entries = new Map<string, { atMs: number; pending: boolean; value: Promise<V> }>();
  return {
    get(key, compute) {
      const hit = entries.get(key);
      if (hit && (hit.pending || now() - hit.atMs < opts.ttlMs)) return hit.value;
      const value = compute();
      const entry = { atMs: now(), pending: true, value };
      entries.delete(key);
      entries.set(key, entry);
      // The TTL counts from when the value is ready, not from the request.
      value.then(
        () => {
          entry.pending = false;
          entry.atMs = now();
        },
        () => {
          entry.pending = false;
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return value;
    },
    clear() {
      entries.clear();
    },
  };
}
