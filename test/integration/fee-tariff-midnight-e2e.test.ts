/**
 * Issue 17, part 2, end to end: an Aqtobe (UTC+5) and an Almaty site, 100 kW all the time, readings published
 * over MQTT into the running service (real InfluxDB). The rate and the tax quarter change at each site's own
 * local midnight: the Aqtobe 2023-Q4 ledger and close are 220,800 kWh / 220,800 tenge, 2023-Q4 only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useInflux } from '../helpers/influx.ts';
import { getJson, publishReadings } from '../helpers/publish.ts';
import { TAXPAYERS_YAML, registryOf, removeRegistryDirs } from '../helpers/registry-dir.ts';
import { startService } from '../helpers/service.ts';

const REGISTRY = {
  taxpayers: TAXPAYERS_YAML,
  sites: `sites:
  - { id: aqt, name: Aqtobe DC, taxpayer: "940140000385", timeZone: Asia/Aqtobe }
  - { id: alm, name: Almaty DC, taxpayer: "940140000385", timeZone: Asia/Almaty }
`,
  meters: `meters:
  - { id: aqt-m1, site: aqt, reportingIntervalS: 900, commissionedAt: 2023-09-01, sources: [{ from: 2023-09-01, source: grid }], maxLoadKw: 100 }
  - { id: alm-m1, site: alm, reportingIntervalS: 900, commissionedAt: 2023-09-01, sources: [{ from: 2023-09-01, source: grid }], maxLoadKw: 100 }
`,
  prices: `prices:
  - { site: aqt, quarter: 2023-Q4, averagePriceTiynPerKwh: 2500 }
  - { site: alm, quarter: 2023-Q4, averagePriceTiynPerKwh: 2500 }
`,
};

/** 100 kW (25 kWh a quarter hour) from 2023-09-30T18:00Z to 2024-03-02T00:00Z. */
function readings(): { ts: number; kwh: number }[] {
  const out = [];
  const from = Date.parse('2023-09-30T18:00Z');
  for (let t = from, i = 0; t <= Date.parse('2024-03-02T00:00Z'); t += 900_000, i++) out.push({ ts: t, kwh: i * 25 });
  return out;
}

interface Report {
  totals: { energyWh: number; feeMilliTiyn: number; declaredTiyn: number; substitutedWh: number };
  lines: { from: string; rateTiynPerKwh: number; taxQuarter: string; tariffId: string }[];
}

const influx = useInflux();
let svc: Awaited<ReturnType<typeof startService>>;
beforeAll(async () => {
  svc = await startService(await influx.database(), {}, registryOf(REGISTRY));
  await publishReadings(svc, 'aqt-m1', readings());
  await publishReadings(svc, 'alm-m1', readings());
}, 180_000);
afterAll(async () => {
  await svc?.cleanup();
  removeRegistryDirs();
});

const rates = (r: Report) => r.lines.map((l) => [l.from, l.rateTiynPerKwh, l.taxQuarter]);

describe('tariff changes at the site local midnight, through MQTT', () => {
  it('Aqtobe 2023-Q4 ledger: 220,800 kWh / 220,800 tenge, every line kz-2023 in 2023-Q4', async () => {
    const r = await getJson<Report>(svc, '/api/ledger?period=2023-Q4&site=aqt');
    expect(r.status).toBe(200);
    const t = r.body.totals;
    expect([t.energyWh, t.feeMilliTiyn, t.declaredTiyn, t.substitutedWh]).toEqual([
      220_800_000, 22_080_000_000, 22_080_000, 0,
    ]);
    expect(new Set(r.body.lines.map((l) => `${l.tariffId} ${l.taxQuarter}`))).toEqual(new Set(['kz-2023 2023-Q4']));
  });

  it('the Aqtobe taxpayer-wide 2023-Q4 close holds only 2023-Q4 lines; Almaty and Aqtobe each 220,800 tenge', async () => {
    const res = await fetch(`${svc.httpUrl}/api/periods/2023-Q4/close`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ closedBy: 'e2e' }),
    });
    expect(res.status).toBe(201);
    const { snapshot } = (await res.json()) as {
      snapshot: {
        lines: { taxQuarter: string }[];
        declared: { taxQuarter: string; amountTiyn: number }[];
        totals: { bySite: { key: string; feeMilliTiyn: number }[] };
      };
    };
    expect(new Set(snapshot.lines.map((l) => l.taxQuarter))).toEqual(new Set(['2023-Q4']));
    expect(snapshot.declared.map((d) => [d.taxQuarter, d.amountTiyn])).toEqual([['2023-Q4', 44_160_000]]);
    expect(snapshot.totals.bySite.map((s) => [s.key, s.feeMilliTiyn])).toEqual([
      ['aqt', 22_080_000_000],
      ['alm', 22_080_000_000],
    ]);
  });

  it.each([
    ['aqt', '2023-12-30T19:00:00.000Z', '2023-12-31T19:00:00.000Z'],
    ['alm', '2023-12-30T18:00:00.000Z', '2023-12-31T18:00:00.000Z'],
  ])('across 2023-12-31/2024-01-01 at %s the rate changes at local midnight %s', async (site, start, change) => {
    const r = await getJson<Report>(svc, `/api/ledger?period=2023-12-31..2024-01-01&site=${site}`);
    expect(r.status).toBe(200);
    expect(rates(r.body)).toEqual([
      [start, 100, '2023-Q4'],
      [change, 200, '2024-Q1'],
    ]);
  });

  it.each([
    ['aqt', 48],
    ['alm', 49],
  ])('across 2024-03-01 at %s: 2 tenge throughout, %i h x 100 kW metered', async (site, hours) => {
    const r = await getJson<Report>(svc, `/api/ledger?period=2024-02-29..2024-03-01&site=${site}`);
    expect(r.status).toBe(200);
    expect([r.body.totals.energyWh, r.body.totals.substitutedWh]).toEqual([hours * 100_000, 0]);
    expect(new Set(r.body.lines.map((l) => `${l.rateTiynPerKwh} ${l.taxQuarter}`))).toEqual(new Set(['200 2024-Q1']));
    expect(r.body.lines.at(-1)).toMatchObject({ taxQuarter: '2024-Q1' });
  });
});
