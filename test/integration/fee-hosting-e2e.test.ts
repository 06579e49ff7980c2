/**
 * Issue 17, part 3, end to end: a hosting hall operated by Dala Hash hosts two miners who pay their own fee
 * (Steppe Compute on a meter that names it, Irtysh Digital through its rigs). Readings go over MQTT into the
 * running service (real InfluxDB); the ledger API, the period close per taxpayer and for all, the exports
 * and the dashboard overview keep each taxpayer's kWh and tenge apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useInflux } from '../helpers/influx.ts';
import { getJson, publishReadings } from '../helpers/publish.ts';
import { registryOf, removeRegistryDirs } from '../helpers/registry-dir.ts';
import { startService } from '../helpers/service.ts';

const DALA = '940140000385';
const STEPPE = '990140004654';
const IRTYSH = '210340012344';
const rigs = Array.from(
  { length: 20 },
  (_, i) => `  - { serial: S21-H${i}, model: Antminer S21, ratedPowerW: 3500, meter: hst-m2, taxpayer: "${IRTYSH}" }`,
);
const REGISTRY = {
  taxpayers: `taxpayers:
  - { bin: "${DALA}", name: Dala Hash LLP, licenceSubtype: I }
  - { bin: "${STEPPE}", name: Steppe Compute LLP, licenceSubtype: II }
  - { bin: "${IRTYSH}", name: Irtysh Digital LLP, licenceSubtype: II }
`,
  sites: `sites:
  - { id: own, name: Own DC, taxpayer: "${DALA}" }
  - { id: hst, name: Hosting hall, taxpayer: "${DALA}", role: hosting }
`,
  meters: `meters:
  - { id: own-m1, site: own, reportingIntervalS: 900, commissionedAt: 2025-06-01, sources: [{ from: 2025-06-01, source: grid }], maxLoadKw: 100 }
  - { id: hst-m1, site: hst, taxpayer: "${STEPPE}", reportingIntervalS: 900, commissionedAt: 2025-06-01, sources: [{ from: 2025-06-01, source: grid }], maxLoadKw: 100 }
  - { id: hst-m2, site: hst, reportingIntervalS: 900, commissionedAt: 2025-06-01, sources: [{ from: 2025-06-01, source: grid }] }
`,
  rigs: `rigs:\n${rigs.join('\n')}\n`,
};
/** 2025-Q3 is 2,208 h: kW x 2,208 at 2 tenge. */
const KW: Record<string, number> = { 'own-m1': 90, 'hst-m1': 60, 'hst-m2': 50 };
const quarterWh = (kw: number) => kw * 2208 * 1000;

function readings(kw: number): { ts: number; kwh: number }[] {
  const out = [];
  const from = Date.parse('2025-06-30T18:00Z');
  for (let t = from, i = 0; t <= Date.parse('2025-09-30T20:00Z'); t += 900_000, i++)
    out.push({ ts: t, kwh: (i * kw) / 4 });
  return out;
}

interface Snapshot {
  lines: { meterId: string; taxpayerBin: string }[];
  sites: { id: string; taxpayerBin: string; operatorBin?: string }[];
  totals: { byTaxpayer: { key: string; energyWh: number }[] };
  declaredTotalTiyn: number;
}
const post = async (path: string, body: object) => {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { snapshot: Snapshot } };
};
const text = async (path: string) => (await fetch(`${svc.httpUrl}${path}`)).text();

const influx = useInflux();
let svc: Awaited<ReturnType<typeof startService>>;
beforeAll(async () => {
  svc = await startService(await influx.database(), {}, registryOf(REGISTRY));
  for (const [meter, kw] of Object.entries(KW)) await publishReadings(svc, meter, readings(kw));
}, 180_000);
afterAll(async () => {
  await svc?.cleanup();
  removeRegistryDirs();
});

describe('hosted miners through MQTT', () => {
  it('the hosting hall ledger: each hosted miner its own kWh and amount due, nothing to the host', async () => {
    const r = await getJson<{ taxpayers: { bin: string; meters: string[]; energyWh: number; declaredTiyn: number }[] }>(
      svc,
      '/api/ledger?period=2025-Q3&site=hst',
    );
    expect(r.status).toBe(200);
    expect(r.body.taxpayers.map((t) => [t.bin, t.meters, t.energyWh, t.declaredTiyn])).toEqual([
      [STEPPE, ['hst-m1'], quarterWh(60), quarterWh(60) / 5],
      [IRTYSH, ['hst-m2'], quarterWh(50), quarterWh(50) / 5],
    ]);
  });

  it("the operator's ledger holds only its own meter", async () => {
    const r = await getJson<{ scope: { meters: string[] }; totals: { energyWh: number } }>(
      svc,
      `/api/ledger?period=2025-Q3&taxpayer=${DALA}`,
    );
    expect([r.body.scope.meters, r.body.totals.energyWh]).toEqual([['own-m1'], quarterWh(90)]);
  });

  it("a hosted miner's own close holds only its meter, its site with the operator named", async () => {
    const r = await post('/api/periods/2025-Q3/close', { closedBy: 'e2e', taxpayer: IRTYSH });
    expect(r.status).toBe(201);
    const s = r.body.snapshot;
    expect(new Set(s.lines.map((l) => `${l.meterId} ${l.taxpayerBin}`))).toEqual(new Set([`hst-m2 ${IRTYSH}`]));
    expect(s.sites).toEqual([{ id: 'hst', name: 'Hosting hall', taxpayerBin: IRTYSH, operatorBin: DALA }]);
    expect(s.declaredTotalTiyn).toBe(quarterWh(50) / 5);
  });

  it('the close of every taxpayer: per-taxpayer totals, one site row per taxpayer in the totals CSV, one HTML page each', async () => {
    const r = await post('/api/periods/2025-Q3/close', { closedBy: 'e2e' });
    expect(r.status).toBe(201);
    expect(r.body.snapshot.totals.byTaxpayer.map((t) => [t.key, t.energyWh])).toEqual([
      [DALA, quarterWh(90)],
      [STEPPE, quarterWh(60)],
      [IRTYSH, quarterWh(50)],
    ]);
    const csv = await text('/api/periods/2025-Q3/export-totals.csv');
    const rows = csv.split('\n').filter((l) => /^(site|taxpayer),/.test(l));
    expect(rows.map((l) => l.split(',').slice(0, 5).concat(l.split(',').at(-1)!))).toEqual([
      ['taxpayer', '2025-Q3', DALA, DALA, '', '397440.00'],
      ['taxpayer', '2025-Q3', STEPPE, STEPPE, '', '264960.00'],
      ['taxpayer', '2025-Q3', IRTYSH, IRTYSH, '', '220800.00'],
      ['site', '2025-Q3', 'own', DALA, '', ''],
      ['site', '2025-Q3', 'hst', STEPPE, '', ''],
      ['site', '2025-Q3', 'hst', IRTYSH, '', ''],
    ]);
    const html = await text('/api/periods/2025-Q3/export.html');
    const pages = html.split('<section class="taxpayer"').slice(1);
    expect(pages.map((p) => /data-bin="(\d+)"/.exec(p)![1])).toEqual([DALA, STEPPE, IRTYSH]);
    expect(pages[0]).not.toContain('Hosting hall');
    expect(pages[2]).toContain('<td class="amount-due">220,800.00</td>');
  });

  it('the dashboard overview: per-taxpayer totals, the hosting hall split by taxpayer', async () => {
    const r = await getJson<{
      taxpayers: { bin: string; declaredTenge: string; sites: { id: string; operatorBin: string | null }[] }[];
      sites: { id: string; taxpayers: { bin: string; total: { meteredKwh: string } }[] }[];
    }>(svc, '/api/dashboard/overview?period=2025-Q3');
    expect(r.status).toBe(200);
    const dalaName = 'Dala Hash LLP'; // REGISTRY above
    expect(r.body.taxpayers.map((t) => [t.bin, t.declaredTenge, t.sites])).toEqual([
      [DALA, '397440.00', [{ id: 'own', operatorBin: null, operatorName: null, total: expect.anything() }]],
      // issue 26: the host by its name (the dashboard says "hosted by <name>", not by a BIN)
      [STEPPE, '264960.00', [{ id: 'hst', operatorBin: DALA, operatorName: dalaName, total: expect.anything() }]],
      [IRTYSH, '220800.00', [{ id: 'hst', operatorBin: DALA, operatorName: dalaName, total: expect.anything() }]],
    ]);
    const hall = r.body.sites.find((s) => s.id === 'hst')!;
    expect(hall.taxpayers.map((t) => [t.bin, t.total.meteredKwh])).toEqual([
      [STEPPE, '132480.000'],
      [IRTYSH, '110400.000'],
    ]);
  });
});
