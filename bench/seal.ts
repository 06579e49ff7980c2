import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { loadRegistry } from '../src/registry/load.ts';
import { createSealing } from '../src/seal/index.ts';
import { verifySeals } from '../src/seal/verify-seals.ts';
import { readingLine } from '../src/store/schema.ts';
import { createWriteApi } from '../src/store/write-api.ts';
import { startInflux } from '../test/helpers/influx.ts';
import { writeBenchRegistry } from '../test/helpers/synthetic-registry.ts';
import { rssMb } from './lib.ts';

/**
 * Sealed readings' cost (issue 24): `meters` synthetic meters (50 a site, Asia/Almaty) at 1-minute readings over
 * `days` local days written straight into a real InfluxDB; then seal the first day (every site), seal the rest,
 * and verify every seal against InfluxDB. Reported: readings per second of each, peak RSS of this process.
 * Full size (1,000 meters, a month: 43 M points) only when asked: BENCH_SEAL_METERS, BENCH_SEAL_DAYS.
 */
const DAY0 = Date.parse('2025-07-01T00:00+05:00');
const DAY_MS = 86_400_000;

async function writeDays(
  write: (lines: string[]) => Promise<void>,
  meters: readonly { id: string; siteId: string }[],
  days: number,
) {
  let batch: string[] = [];
  for (let d = 0; d < days; d++)
    for (const m of meters)
      for (let i = 0; i < 1440; i++) {
        const tsMs = DAY0 + d * DAY_MS + i * 60_000;
        batch.push(
          readingLine(
            { meterId: m.id, siteId: m.siteId, tsMs, registerWh: 1_000_000 + (d * 1440 + i) * 1_667, status: 'ok' },
            tsMs + 400,
          ),
        );
        if (batch.length >= 50_000) {
          await write(batch);
          batch = [];
        }
      }
  if (batch.length) await write(batch);
}

export async function benchSeal(meterCount: number, days: number) {
  const influx = await startInflux();
  const dir = mkdtempSync(join(tmpdir(), 'kzm-bench-seal-'));
  try {
    const target = await influx.database();
    writeBenchRegistry(dir, meterCount);
    const registry = loadRegistry(dir);
    const api = createWriteApi(target);
    const t0 = performance.now();
    await writeDays((l) => api.writeLines(l), registry.meters, days);
    const writeS = (performance.now() - t0) / 1000;
    const config = loadConfig({ env: {}, overrides: { dataDir: join(dir, 'data'), registryDir: dir } });
    const sealing = createSealing(config, registry, target, (l) => api.writeLines(l));
    const first = '2025-07-01';
    let t = performance.now();
    const one = await sealing.sealer.sealDue({ endedByMs: Date.now(), throughDay: first });
    const sealDayS = (performance.now() - t) / 1000;
    const dayReadings = one.sealed.reduce((a, s) => a + s.readings, 0);
    const last = new Date(DAY0 + (days - 1) * DAY_MS + 5 * 3_600_000).toISOString().slice(0, 10);
    await sealing.sealer.sealDue({ endedByMs: Date.now(), throughDay: last });
    t = performance.now();
    const v = await verifySeals({
      registry,
      target,
      store: sealing.store,
      sealer: sealing.sealer,
      publicKeys: sealing.publicKeys,
    });
    const verifyS = (performance.now() - t) / 1000;
    return {
      meters: meterCount,
      days,
      written: { points: meterCount * days * 1440, s: +writeS.toFixed(1) },
      sealOneDay: {
        siteDays: one.sealed.length,
        readings: dayReadings,
        s: +sealDayS.toFixed(2),
        readingsPerS: Math.round(dayReadings / sealDayS),
      },
      verifyAll: {
        seals: v.seals,
        readings: v.readings,
        problems: v.problems.length,
        s: +verifyS.toFixed(2),
        readingsPerS: Math.round(v.readings / verifyS),
      },
      peakRssMb: rssMb(),
    };
  } finally {
    await influx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
