/**
 * Issue 17, part 1, end to end: the issue's readings published over MQTT into the running service (embedded
 * broker, real InfluxDB); GET /api/ledger ends m1's ledger at its decommissioning instant with every hour
 * metered, and a meter replacement at local midnight bills the quarter once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useInflux } from '../helpers/influx.ts';
import { getJson, publishReadings } from '../helpers/publish.ts';
import { registryOf, removeRegistryDirs } from '../helpers/registry-dir.ts';
import { queryRows, startService } from '../helpers/service.ts';
import {
  LIFETIME_REGISTRY,
  SWAP_MS,
  fromCommissioning,
  untilDecommissioning,
} from '../unit/ingest/lifetime-fixtures.ts';

interface Report {
  totals: { energyWh: number; feeMilliTiyn: number; substitutedWh: number };
  lines: { meterId: string; from: string; to: string; basis: string; reason?: string }[];
}

const influx = useInflux();
let svc: Awaited<ReturnType<typeof startService>>;

beforeAll(async () => {
  svc = await startService(await influx.database(), {}, registryOf(LIFETIME_REGISTRY));
  await publishReadings(svc, 'm1', untilDecommissioning());
  await publishReadings(svc, 'm3', untilDecommissioning());
  await publishReadings(svc, 'm4', fromCommissioning());
}, 120_000);
afterAll(async () => {
  await svc?.cleanup();
  removeRegistryDirs();
});

describe('decommissioning and replacement through MQTT', () => {
  it('stores the reading at the decommissioning instant; nothing is rejected', async () => {
    const rows = await queryRows(svc.influx, `SELECT last("wh") AS "wh" FROM "reading" WHERE "meter" = 'm1'`);
    expect(rows.map((r) => [r['time'], r['wh']])).toEqual([[SWAP_MS, 107_290_000]]);
    expect(await queryRows(svc.influx, 'SELECT * FROM "rejected"')).toEqual([]);
  });

  it('GET /api/ledger?period=2025-Q3&site=s1: 97,200,000 Wh / 19,440,000,000 milli-tiyn, no substituted tail', async () => {
    const r = await getJson<Report>(svc, '/api/ledger?period=2025-Q3&site=s1');
    expect(r.status).toBe(200);
    expect([r.body.totals.energyWh, r.body.totals.feeMilliTiyn, r.body.totals.substitutedWh]).toEqual([
      97_200_000, 19_440_000_000, 0,
    ]);
    expect(r.body.lines.at(-1)!.to).toBe('2025-08-14T19:00:00.000Z');
    expect(r.body.lines.filter((l) => l.reason !== undefined)).toEqual([]);
  });

  it('a meter replacement at local midnight: site s2 is 2,208 h x 90 kW, all metered', async () => {
    const r = await getJson<Report>(svc, '/api/ledger?period=2025-Q3&site=s2');
    expect(r.status).toBe(200);
    expect([r.body.totals.energyWh, r.body.totals.substitutedWh]).toEqual([198_720_000, 0]);
    expect(r.body.lines.filter((l) => l.basis !== 'metered')).toEqual([]);
  });
});
