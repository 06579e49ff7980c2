/**
 * Which reading differs between a meter's sealed day and what is stored now, from the two sets of sums
 * (canonical.ts MeterSums): one reading added or deleted moves the count by one and the sum of times by its
 * time; one register or fault flag changed moves sum(ts*x) by its time times sum(x)'s move. Several changes at
 * once are reported as such (the meter and the counts are still named). Pure.
 */
import type { MeterSeal } from './canonical.ts';

export type Difference =
  | { readonly kind: 'added' | 'deleted' | 'changed'; readonly record: 'reading' | 'status'; readonly tsMs: number }
  | { readonly kind: 'several'; readonly record: 'reading' | 'status' };

const big = (s: string) => BigInt(s);
const exactTime = (num: bigint, den: bigint): number | undefined =>
  den !== 0n && num % den === 0n ? Number(num / den) : undefined;

function readingDifference(was: MeterSeal, now: MeterSeal): Difference | undefined {
  const dn = now.readings - was.readings;
  const dts = big(now.sums.ts) - big(was.sums.ts);
  if (dn === 1) return { kind: 'added', record: 'reading', tsMs: Number(dts) };
  if (dn === -1) return { kind: 'deleted', record: 'reading', tsMs: Number(-dts) };
  if (dn !== 0) return { kind: 'several', record: 'reading' };
  for (const [x, tx] of [
    ['wh', 'tsWh'],
    ['fault', 'tsFault'],
  ] as const) {
    const t = exactTime(big(now.sums[tx]) - big(was.sums[tx]), big(now.sums[x]) - big(was.sums[x]));
    if (t !== undefined) return { kind: 'changed', record: 'reading', tsMs: t };
  }
  return undefined;
}

function statusDifference(was: MeterSeal, now: MeterSeal): Difference | undefined {
  const dn = now.statuses - was.statuses;
  const dts = big(now.sums.sTs) - big(was.sums.sTs);
  if (dn === 1) return { kind: 'added', record: 'status', tsMs: Number(dts) };
  if (dn === -1) return { kind: 'deleted', record: 'status', tsMs: Number(-dts) };
  if (dn !== 0) return { kind: 'several', record: 'status' };
  const don = big(now.sums.sTsOnline) - big(was.sums.sTsOnline);
  if (don !== 0n) return { kind: 'changed', record: 'status', tsMs: Number(don < 0n ? -don : don) };
  return undefined;
}

/** The difference between a meter's sealed entry and its entry now (undefined when the digests agree). */
export function locateDifference(was: MeterSeal, now: MeterSeal): Difference | undefined {
  if (was.digest === now.digest) return undefined;
  const sameReadings =
    was.readings === now.readings &&
    was.sums.ts === now.sums.ts &&
    was.sums.wh === now.sums.wh &&
    was.sums.tsWh === now.sums.tsWh &&
    was.sums.fault === now.sums.fault &&
    was.sums.tsFault === now.sums.tsFault;
  if (!sameReadings) return readingDifference(was, now) ?? { kind: 'several', record: 'reading' };
  return statusDifference(was, now) ?? { kind: 'several', record: 'status' };
}

/** Counts of an amendment: readings (and statuses) added, changed, removed, over every meter. */
export function changeCounts(
  was: readonly MeterSeal[],
  now: readonly MeterSeal[],
): { added: number; changed: number; removed: number; first?: { meter: string; tsMs?: number; kind: string } } {
  const before = new Map(was.map((m) => [m.meter, m] as const));
  let added = 0, changed = 0, removed = 0; // prettier-ignore
  let first: { meter: string; tsMs?: number; kind: string } | undefined;
  const empty = (meter: string): MeterSeal => ({
    meter,
    readings: 0,
    statuses: 0,
    digest: '',
    sums: { ts: '0', wh: '0', tsWh: '0', fault: '0', tsFault: '0', sTs: '0', sTsOnline: '0' },
  });
  for (const m of [...now].sort((a, b) => (a.meter < b.meter ? -1 : 1))) {
    const old = before.get(m.meter) ?? empty(m.meter);
    const d = locateDifference(old, m);
    if (!d) continue;
    const dn = m.readings + m.statuses - old.readings - old.statuses;
    if (dn > 0) added += dn;
    else if (dn < 0) removed -= dn;
    else changed += 1;
    first ??= { meter: m.meter, ...('tsMs' in d && { tsMs: d.tsMs }), kind: d.kind };
  }
  return { added, changed, removed, ...(first && { first }) };
}
