/**
 * Issue 24, the supplier's invoice beside the meters, end to end: hourly readings of two sites go over MQTT into
 * the running service (real InfluxDB); the supplier's statement is imported over HTTP (a bad one refused naming
 * its lines, a re-import making version 2 and keeping version 1); the reconciliation per site and local month
 * equals rows computed by hand, with a month out of band and a month metered above invoiced; the close preview
 * asks an acknowledgement for them, the close with one records its reason in the audit trail; after the close
 * the rows come from the snapshot; the invoices in force are points in InfluxDB for Grafana.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogPath, type AuditEntry } from '../../src/auth/audit-log.ts';
import { useInflux } from '../helpers/influx.ts';
import { publishReadings } from '../helpers/publish.ts';
import { registryOf, removeRegistryDirs, TAXPAYERS_YAML } from '../helpers/registry-dir.ts';
import { eventually, queryRows, startService } from '../helpers/service.ts';

const REGISTRY = {
  taxpayers: TAXPAYERS_YAML,
  sites: `sites:
  - { id: rx-1, name: Recon one, taxpayer: "940140000385" }
  - { id: rx-2, name: Recon two, taxpayer: "940140000385", reconciliationBand: { minPct: 2, maxPct: 10 } }
`,
  meters: `meters:
  - { id: rx-1-m01, site: rx-1, reportingIntervalS: 3600, commissionedAt: 2025-06-01, sources: [{ from: 2025-06-01, source: grid }], maxLoadKw: 60 }
  - { id: rx-2-m01, site: rx-2, reportingIntervalS: 3600, commissionedAt: 2025-06-01, sources: [{ from: 2025-06-01, source: grid }], maxLoadKw: 30 }
`,
};
const GAP_FROM = Date.parse('2025-07-10T00:00Z');
const GAP_TO = Date.parse('2025-07-10T05:00Z');

/** Hourly register at a constant power, on the hour (local midnight, 19:00Z, is a reading: months cut exactly). */
function readings(kw: number, gap: boolean): { ts: number; kwh: number }[] {
  const out = [];
  const from = Date.parse('2025-06-30T18:00Z');
  for (let t = from, i = 0; t <= Date.parse('2025-09-30T20:00Z'); t += 3_600_000, i++)
    if (!gap || t < GAP_FROM || t > GAP_TO) out.push({ ts: t, kwh: i * kw });
  return out;
}

interface Row {
  site: string;
  month: string;
  invoicedKwh: string | null;
  meteredKwh: string;
  substitutedKwh: string;
  differenceKwh: string | null;
  differencePct: number | null;
  withinBand: boolean | null;
  status: string;
  invoiceVersion: number | null;
}

const influx = useInflux();
let svc: Awaited<ReturnType<typeof startService>>;
let dataDir: string;
let target: Awaited<ReturnType<typeof influx.database>>;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kzm-recon-'));
  target = await influx.database();
  svc = await startService(target, { dataDir }, registryOf(REGISTRY));
  // rx-1-m01: 50 kW with 6 readings missing on 2025-07-10 (a 7 h gap, substituted at 60 kW); rx-2-m01: 20 kW.
  await publishReadings(svc, 'rx-1-m01', readings(50, true));
  await publishReadings(svc, 'rx-2-m01', readings(20, false));
}, 180_000);
afterAll(async () => {
  await svc?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
  removeRegistryDirs();
});

const call = async (method: string, path: string, body?: string, type = 'application/json') => {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method,
    ...(body !== undefined && { body, headers: { 'content-type': type } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const rowsOf = async () => {
  const r = await call('GET', '/api/reconciliation?period=2025-Q3');
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as unknown as { rows: Row[]; ledger: unknown };
};
const brief = (r: Row) => [
  r.site,
  r.month,
  r.invoicedKwh,
  r.meteredKwh,
  r.substitutedKwh,
  r.differenceKwh,
  r.differencePct,
  r.withinBand,
  r.status,
];
const STATEMENT = `site,month,kwh,invoice_no
rx-1,2025-07,40000,E-701
rx-1,2025-08,45000,E-801
rx-1,2025-09,35000,E-901
rx-2,2025-07,16000.000,E-702
rx-2,2025-08,15000,E-802
`;

describe("the supplier's invoice beside the meters", () => {
  it('a statement with bad lines is refused whole, naming each line, column and value', async () => {
    const r = await call(
      'POST',
      '/api/invoices',
      'site,month,kwh\nrx-1,2025-07,40000\nrx-1,07/2025,1\nrx-9,2025-08,5\n',
      'text/csv',
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(
      'supplier statement refused, nothing imported: line 3, column month: "07/2025" is not a month written YYYY-MM, e.g. 2025-07; ' +
        'line 4, column site: "rx-9" is not a site of the registry (known: rx-1, rx-2)',
    );
    expect(((await call('GET', '/api/invoices')).body.invoices as unknown[]).length).toBe(0);
  });

  it('hand-computed rows: within band, out of band (above and below), metered above invoiced, no invoice', async () => {
    const imp = await call('POST', '/api/invoices', STATEMENT, 'text/csv');
    expect(imp.status, JSON.stringify(imp.body)).toBe(200);
    expect(imp.body.unchanged).toBe(0);
    expect((imp.body.imported as unknown[]).length).toBe(5);
    // rx-1: 50 kW; July 744 h with a 7 h gap at 60 kW: metered 50 x 737 = 36,850, substituted 420, ledger 37,270;
    //   40,000 - 37,270 = 2,730 = 6.8 % of the invoice (band 0..15: in). August 744 h: 37,200; 45,000 -> 7,800 =
    //   17.3 % (out). September 720 h: 36,000 > 35,000 invoiced: metered above invoiced (out).
    // rx-2: 20 kW, band 2..10: July 14,880; 16,000 -> 1,120 = 7 % (in). August 14,880; 15,000 -> 120 = 0.8 %
    //   (below 2: out). September 14,400, no invoice.
    const { rows, ledger } = await rowsOf();
    expect(ledger).toBe('current');
    expect(rows.map(brief)).toEqual([
      ['rx-1', '2025-07', '40000.000', '36850.000', '420.000', '2730.000', 6.8, true, 'within-band'],
      ['rx-1', '2025-08', '45000.000', '37200.000', '0.000', '7800.000', 17.3, false, 'outside-band'],
      ['rx-1', '2025-09', '35000.000', '36000.000', '0.000', '-1000.000', -2.9, false, 'metered-above-invoiced'],
      ['rx-2', '2025-07', '16000.000', '14880.000', '0.000', '1120.000', 7, true, 'within-band'],
      ['rx-2', '2025-08', '15000.000', '14880.000', '0.000', '120.000', 0.8, false, 'outside-band'],
      ['rx-2', '2025-09', null, '14400.000', '0.000', null, null, null, 'no-invoice'],
    ]);
  });

  it('a re-import replaces the month with version 2 and keeps version 1; the same file again changes nothing', async () => {
    const again = await call('POST', '/api/invoices', JSON.stringify({ csv: STATEMENT }));
    expect(again.body).toEqual({ imported: [], unchanged: 5 });
    const fix = await call(
      'POST',
      '/api/invoices',
      JSON.stringify({ rows: [{ site: 'rx-1', month: '2025-08', kwh: '41000', invoiceNo: 'E-801/2' }] }),
    );
    expect(fix.body.imported).toEqual([
      { site: 'rx-1', month: '2025-08', kwh: '41000.000', invoiceNo: 'E-801/2', version: 2, replacedVersion: 1 },
    ]);
    const list = (await call('GET', '/api/invoices?period=2025-08')).body.invoices as {
      site: string;
      current: { version: number; kwh: string };
      versions: { version: number; kwh: string; invoiceNo: string }[];
    }[];
    const rx1 = list.find((i) => i.site === 'rx-1')!;
    expect(rx1.current).toMatchObject({ version: 2, kwh: '41000.000' });
    expect(rx1.versions.map((v) => [v.version, v.kwh, v.invoiceNo])).toEqual([
      [1, '45000.000', 'E-801'],
      [2, '41000.000', 'E-801/2'],
    ]);
    // 41,000 - 37,200 = 3,800 = 9.3 %: in band now.
    const aug = (await rowsOf()).rows.find((r) => r.site === 'rx-1' && r.month === '2025-08')!;
    expect([aug.differenceKwh, aug.differencePct, aug.withinBand, aug.invoiceVersion]).toEqual([
      '3800.000',
      9.3,
      true,
      2,
    ]);
    // Every import is in the audit trail with the versions it made.
    const imports = auditLines().filter((e) => e.action === 'invoice-import');
    expect(imports.map((e) => e.what.versions)).toEqual([
      expect.arrayContaining(['rx-1/2025-07 v1 40000.000 kWh']),
      [],
      ['rx-1/2025-08 v2 41000.000 kWh'],
    ]);
  });

  it('the invoices in force are points in InfluxDB (Grafana), version 2 overwriting version 1', async () => {
    const points = await eventually(
      () => queryRows(target, 'SELECT energy_wh, version FROM invoice GROUP BY site, month'),
      (r) => r.length === 5 && r.some((p) => p.month === '2025-08' && p.site === 'rx-1' && p.version === 2),
      10_000,
      'five invoice points, rx-1 2025-08 at version 2',
    );
    const aug = points.find((p) => p.month === '2025-08' && p.site === 'rx-1')!;
    expect(aug).toMatchObject({ energy_wh: 41_000_000, time: Date.parse('2025-07-31T19:00:00Z') });
  });

  it('the close preview asks an acknowledgement for the out-of-band months; the close records the reason in the audit', async () => {
    const preview = await call('GET', '/api/periods/2025-Q3/preview');
    expect(preview.status).toBe(200);
    const needs = preview.body.needsAcknowledgement as string[];
    expect(needs).toEqual([
      'site rx-1 2025-09: the meters hold 36000.000 kWh, more than the 35000.000 kWh invoiced (a meter reading high or on the wrong site?)',
      "site rx-2 2025-08: invoiced 15000.000 kWh is 0.8% above the meters' 14880.000 kWh, outside the expected 2..10%",
    ]);
    expect((preview.body.reconciliation as Row[]).length).toBe(6);
    const refused = await call('POST', '/api/periods/2025-Q3/close', JSON.stringify({ closedBy: 'acc' }));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/needs an acknowledgement.*site rx-1 2025-09/);
    const reason = 'rx-1 September: supplier re-reads meter 7; rx-2 August: cooling off';
    const closed = await call(
      'POST',
      '/api/periods/2025-Q3/close',
      JSON.stringify({ closedBy: 'acc', acknowledgement: reason }),
    );
    expect(closed.status, JSON.stringify(closed.body)).toBe(201);
    const close = auditLines()
      .filter((e) => e.action === 'close')
      .at(-1)!;
    expect(close.what).toMatchObject({ period: '2025-Q3', version: 1, acknowledgement: reason, acknowledged: needs });
    // Closed: the rows now come from the frozen snapshot, and equal the ones before.
    const after = await rowsOf();
    expect(after.ledger).toEqual({ snapshotVersion: 1 });
    expect(after.rows.map(brief)).toEqual((preview.body.reconciliation as Row[]).map(brief));
  });
});

function auditLines(): AuditEntry[] {
  return readFileSync(auditLogPath(dataDir), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditEntry);
}
