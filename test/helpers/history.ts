/**
 * History written straight into InfluxDB, as a service that had run for days would have left it: the raw
 * readings of synthetic meters (line protocol from src/store/schema.ts, 50,000 lines a write, two writes in
 * flight) and their hour and day rollups (src/rollup/rebuild.ts, as `kzmeter rollup` computes them), with the
 * registry of those meters. For the restart test and `npm run bench restart`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, type MeterFacts } from '../../src/fees/index.ts';
import { rebuildRollups } from '../../src/rollup/rebuild.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { readingLine } from '../../src/store/schema.ts';
import { createWriteApi } from '../../src/store/write-api.ts';
import { forEachReading } from '../../bench/ledger-data.ts';
import { writeBenchRegistry } from '../../bench/lib.ts';

export interface HistoryRequest {
  readonly meters: number;
  readonly days: number;
  readonly stepMs: number;
  /** The newest reading's time (default: now, cut to the step). */
  readonly endMs?: number;
  /** Called now and then while writing (what is done so far). */
  readonly onProgress?: (p: { phase: 'raw' | 'rollups'; done: number; total: number }) => void;
}

export interface History {
  /** A registry folder of the meters (bench-0000 ...: 50 a site, 100 kW, grid). */
  readonly registryDir: string;
  readonly facts: readonly MeterFacts[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly readings: number;
  readonly rawSeconds: number;
  readonly rollupSeconds: number;
}

const BATCH = 50_000;

/** Lines to InfluxDB in batches, two writes in flight. */
function bulkSink(target: InfluxTarget) {
  const api = createWriteApi(target);
  let batch: string[] = [];
  const inflight: Promise<void>[] = [];
  const send = async () => {
    inflight.push(api.writeLines(batch));
    batch = [];
    if (inflight.length >= 2) await inflight.shift();
  };
  return {
    async push(line: string) {
      batch.push(line);
      if (batch.length >= BATCH) await send();
    },
    async end() {
      if (batch.length) await send();
      await Promise.all(inflight);
    },
    write: (lines: readonly string[]) => (lines.length ? api.writeLines(lines) : Promise.resolve()),
  };
}

export async function writeHistory(target: InfluxTarget, req: HistoryRequest): Promise<History> {
  const registryDir = mkdtempSync(join(tmpdir(), 'kzm-history-registry-'));
  const facts = writeBenchRegistry(registryDir, req.meters, req.stepMs);
  const toMs = Math.floor((req.endMs ?? Date.now()) / req.stepMs) * req.stepMs;
  const fromMs = toMs - req.days * DAY_MS;
  const sink = bulkSink(target);
  const t0 = performance.now();
  let readings = 0;
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]!;
    const lines: string[] = [];
    forEachReading(i, fromMs, toMs, req.stepMs, (tsMs, registerWh) =>
      lines.push(readingLine({ meterId: f.meterId, siteId: f.siteId, tsMs, registerWh, status: 'ok' }, tsMs + 400)),
    );
    readings += lines.length;
    for (const l of lines) await sink.push(l);
    req.onProgress?.({ phase: 'raw', done: i + 1, total: facts.length });
  }
  await sink.end();
  const t1 = performance.now();
  await rebuildRollups({
    target,
    sink,
    meterIds: facts.map((f) => f.meterId),
    fromMs,
    toMs: toMs + 1,
    metersPerChunk: 100,
    onProgress: (p) => req.onProgress?.({ phase: 'rollups', done: p.daysDone, total: p.days }),
  });
  return {
    registryDir,
    facts,
    fromMs,
    toMs,
    readings,
    rawSeconds: (t1 - t0) / 1000,
    rollupSeconds: (performance.now() - t1) / 1000,
  };
}

/**
 * What meter `i` of a history reports after it, up to `toMs`, in our JSON (kWh): its register goes on from where
 * the history left it, as if the meter had kept reporting.
 */
export function readingsAfter(h: History, i: number, afterMs: number, toMs: number): { ts: number; kwh: number }[] {
  const step = h.facts[i]!.reportingIntervalS * 1000;
  const out: { ts: number; kwh: number }[] = [];
  forEachReading(i, h.fromMs, toMs, step, (ts, wh) => {
    if (ts > afterMs) out.push({ ts, kwh: wh / 1000 });
  });
  return out;
}
