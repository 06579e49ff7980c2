/**
 * Synthetic meters for the store-path tests: deterministic readings with
 * gaps, faults, register resets, spikes and last-will events, written to a
 * real InfluxDB as the ingest writes them (store/schema.ts).
 */
import { rebuildRollups } from '../../../src/rollup/rebuild.ts';
import type { MeterFacts, Reading, StatusEvent } from '../../../src/fees/index.ts';
import { readingLine, statusLine } from '../../../src/store/schema.ts';
import type { InfluxTarget } from '../../../src/store/influx-target.ts';

import { H, MIN, at } from '../fees/helpers.ts';

export { H, MIN, at };

export interface MeterSpec {
  readonly facts: MeterFacts;
  readonly fromMs: number;
  readonly toMs: number;
  readonly stepMs: number;
  readonly powerW: number;
  /** Random +-jitter of each reading's time (ms) and of power (fraction). */
  readonly jitterMs?: number;
  readonly noise?: number;
  readonly gaps?: readonly [number, number][];
  readonly faults?: readonly [number, number][];
  /** Register drops to this value at this time (reset or meter replacement). */
  readonly resets?: readonly { atMs: number; toWh: number }[];
  /** The register jumps by this many Wh at this time (a spike; it stays). */
  readonly spikes?: readonly { atMs: number; jumpWh: number }[];
  readonly status?: readonly StatusEvent[];
  readonly seed?: number;
}

export interface MeterData {
  readonly facts: MeterFacts;
  readonly readings: Reading[];
  readonly statusEvents: StatusEvent[];
}

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const inside = (t: number, spans: readonly [number, number][] | undefined): boolean =>
  (spans ?? []).some(([a, b]) => t >= a && t < b);

export function generate(spec: MeterSpec): MeterData {
  const rnd = prng(spec.seed ?? 7);
  const readings: Reading[] = [];
  let wh = 1_000_000;
  let prevT = spec.fromMs;
  const resets = [...(spec.resets ?? [])];
  const spikes = [...(spec.spikes ?? [])];
  for (let base = spec.fromMs; base <= spec.toMs; base += spec.stepMs) {
    const t = base + (spec.jitterMs ? Math.round((rnd() * 2 - 1) * spec.jitterMs) : 0);
    const p = spec.powerW * (1 + (spec.noise ? (rnd() * 2 - 1) * spec.noise : 0));
    wh += Math.floor((p * Math.max(0, t - prevT)) / H);
    prevT = t;
    while (resets.length && resets[0]!.atMs <= t) wh = resets.shift()!.toWh;
    while (spikes.length && spikes[0]!.atMs <= t) wh += spikes.shift()!.jumpWh;
    if (inside(t, spec.gaps)) continue;
    readings.push({ tsMs: t, registerWh: wh, status: inside(t, spec.faults) ? 'fault' : 'ok' });
  }
  return { facts: spec.facts, readings, statusEvents: [...(spec.status ?? [])] };
}

export function facts(meterId: string, over: Partial<MeterFacts> = {}): MeterFacts {
  const since = at('2024-01-01T00:00+06:00');
  return {
    meterId,
    siteId: 'site-a',
    taxpayerBin: '940140000385',
    timeZone: 'Asia/Almaty',
    reportingIntervalS: 60,
    commissionedMs: since,
    sources: [{ fromMs: since, source: 'grid' }],
    maxLoad: [{ fromMs: since, maxLoadW: 100_000 }],
    ...over,
  };
}

/** Writes readings and status events as the ingest does (one point per meter+site+time). */
export async function writeMeterData(
  target: InfluxTarget,
  data: readonly MeterData[],
  batchLines = 20_000,
): Promise<number> {
  const lines: string[] = [];
  for (const d of data) {
    for (const r of d.readings)
      lines.push(
        readingLine(
          {
            meterId: d.facts.meterId,
            siteId: d.facts.siteId,
            tsMs: r.tsMs,
            registerWh: r.registerWh,
            status: r.status,
          },
          r.tsMs + 500,
        ),
      );
    for (const s of d.statusEvents)
      lines.push(statusLine({ meterId: d.facts.meterId, siteId: d.facts.siteId, state: s.state }, s.tsMs));
  }
  await postLines(target, lines, batchLines);
  // Written around the service: build the rollups as `kzmeter rollup` would.
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of data)
    for (const r of d.readings) {
      lo = Math.min(lo, r.tsMs);
      hi = Math.max(hi, r.tsMs);
    }
  if (lo <= hi) {
    await rebuildRollups({
      target,
      sink: { write: (l) => postLines(target, l) },
      meterIds: data.map((d) => d.facts.meterId),
      fromMs: lo,
      toMs: hi + 1,
    });
  }
  return lines.length;
}

export async function postLines(target: InfluxTarget, lines: readonly string[], batchLines = 20_000): Promise<void> {
  for (let i = 0; i < lines.length; i += batchLines) {
    const body = lines.slice(i, i + batchLines).join('\n');
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (target.authorization) headers.authorization = target.authorization;
    const res = await fetch(`${target.url}/write?db=${encodeURIComponent(target.database)}&precision=ns`, {
      method: 'POST',
      body,
      headers,
    });
    if (res.status !== 204) throw new Error(`write failed ${res.status}: ${await res.text()}`);
  }
}
