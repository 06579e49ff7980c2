/** Where the fee days of a meter with newly stored readings are recomputed from. */
import { DAY_MS, type MeterFacts, quarterAt } from '../fees/index.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { readLastReadingBefore } from '../store/query/fee-days.ts';

/** Previous stored readings won't be looked for further back than this. */
const LOOKBACK_MS = 400 * DAY_MS;

/**
 * Start of each dirty meter's range (`marks`: meter -> its earliest new reading): the day of its previous stored
 * reading (a reading changes how the span before it is billed), else the start of the new reading's quarter.
 */
export async function rangeStarts(
  target: InfluxTarget,
  facts: ReadonlyMap<string, MeterFacts>,
  marks: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const byDay = new Map<number, string[]>();
  for (const [id, t] of marks) {
    const day = Math.floor(t / DAY_MS) * DAY_MS;
    byDay.set(day, [...(byDay.get(day) ?? []), id]);
  }
  for (const [day, ids] of byDay) {
    const prev = await readLastReadingBefore(target, ids, day, LOOKBACK_MS);
    for (const id of ids) {
      const f = facts.get(id)!;
      const t = marks.get(id)!;
      const p = prev.get(id);
      out.set(id, p !== undefined ? Math.min(p, t) : quarterAt(t, f.timeZone).fromMs);
    }
  }
  return out;
}
