/**
 * Which meters' rollups changed where, by generation: a ledger computed at generation g is still right
 * while no later pass recomputed an hour inside what it read of each meter. Bounded: when old entries
 * are dropped, anything older than what is kept counts as changed (conservative).
 */

/** What a cached answer read: per meter, [fromMs, toMs) (±Infinity for "anywhere"). */
export type ReadSpans = ReadonlyMap<string, { readonly fromMs: number; readonly toMs: number }>;

export interface RollupChanges {
  /** Incremented by every pass that stored rollups. */
  generation(): number;
  /** Did a pass after generation `gen` recompute an hour that the spans cover? */
  changedSince(gen: number, spans: ReadSpans): boolean;
}

const HOUR_MS = 3_600_000;

export function createChangeLog(
  maxEntries = 20_000,
): RollupChanges & { record(meterHours: Iterable<readonly [string, number]>): void } {
  // One entry per meter and pass: the span of that meter's hours the pass recomputed.
  const entries: { gen: number; meterId: string; fromMs: number; toMs: number }[] = [];
  let gen = 0;
  let droppedUpTo = 0;
  return {
    generation: () => gen,
    record(meterHours) {
      gen++;
      const span = new Map<string, { fromMs: number; toMs: number }>();
      for (const [id, h] of meterHours) {
        const s = span.get(id);
        if (!s) span.set(id, { fromMs: h, toMs: h + HOUR_MS });
        else {
          s.fromMs = Math.min(s.fromMs, h);
          s.toMs = Math.max(s.toMs, h + HOUR_MS);
        }
      }
      for (const [meterId, s] of span) entries.push({ gen, meterId, ...s });
      if (entries.length > maxEntries) droppedUpTo = entries.splice(0, entries.length - maxEntries).at(-1)!.gen;
    },
    changedSince(since, spans) {
      if (since < droppedUpTo) return true;
      for (let i = entries.length - 1; i >= 0 && entries[i]!.gen > since; i--) {
        const e = entries[i]!;
        const s = spans.get(e.meterId);
        if (s && e.fromMs < s.toMs && s.fromMs < e.toMs) return true;
      }
      return false;
    },
  };
}
