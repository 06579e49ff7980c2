import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, digestOf } from '../../../src/periods/canonical-json.ts';
import { digestMatches } from '../../../src/periods/build-snapshot.ts';
import { lineColumnNames } from '../../../src/ledger/csv.ts';
import { linesCsv, totalsCsv } from '../../../src/periods/export-csv.ts';
import { reportHtml } from '../../../src/periods/export-html.ts';
import { buildLateReport } from '../../../src/periods/late-data.ts';
import { createSnapshotStore, snapshotBytes } from '../../../src/periods/snapshot-store.ts';
import { BIN_A, BIN_B, sampleLines, sampleSnapshot } from './fixtures.ts';

describe('canonical JSON and digest', () => {
  it.each([
    {
      name: 'sorts keys at every depth',
      value: { b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } },
      text: '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
    },
    { name: 'leaves undefined members out', value: { a: undefined, b: 'x' }, text: '{"b":"x"}' },
    { name: 'escapes strings as JSON does', value: { s: 'a"b\n' }, text: '{"s":"a\\"b\\n"}' },
  ])('$name', ({ value, text }) => expect(canonicalJson(value)).toBe(text));

  it('refuses non-finite numbers', () => expect(() => canonicalJson({ x: Number.NaN })).toThrow(/\$\.x/));

  it('the digest ignores the digest member and key order', () => {
    expect(digestOf({ a: 1, b: 2, digest: 'x' })).toBe(digestOf({ b: 2, a: 1 }));
    expect(digestOf({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('snapshot', () => {
  it('an operator rounding override rounds every declared line to whole tenge and is recorded in the signed snapshot', async () => {
    const plain = await sampleSnapshot();
    const tenge = await sampleSnapshot({ roundingOverride: 'half-up-tenge' });
    expect(plain.declared.some((d) => d.amountTiyn % 100 !== 0)).toBe(true); // 2025 rounds to the tiyn by default
    expect(plain).not.toHaveProperty('roundingOverride');
    expect(tenge.roundingOverride).toBe('half-up-tenge');
    for (const [i, d] of tenge.declared.entries()) {
      expect(d.feeMilliTiyn).toBe(plain.declared[i]!.feeMilliTiyn);
      expect(d.amountTiyn).toBe(Math.floor((d.feeMilliTiyn + 50_000) / 100_000) * 100);
    }
    expect(digestMatches(tenge)).toBe(true);
    expect(tenge.digest).not.toBe(plain.digest);
  });

  it('carries totals equal to the sum of lines, declared lines rounded once, due dates and a matching digest', async () => {
    const s = await sampleSnapshot();
    expect(digestMatches(s)).toBe(true);
    expect(s.totals.total.feeMilliTiyn).toBe(sampleLines().reduce((a, l) => a + l.feeMilliTiyn, 0));
    expect(s.totals.byTaxpayer.map((t) => t.key)).toEqual([BIN_A, BIN_B]);
    expect(s.dueDates).toEqual([
      { taxQuarter: '2025-Q3', declareBy: '2025-11-15', payBy: '2025-11-25', verified: true, tariffId: 'kz-2024' },
    ]);
    for (const d of s.declared) expect(d.amountTiyn * 1000 - d.feeMilliTiyn).toBe(d.roundingMilliTiyn);
    expect(s.declaredTotalTiyn).toBe(s.declared.reduce((a, d) => a + d.amountTiyn, 0));
    expect({ ...s, closedBy: 'someone else' }).not.toSatisfy(digestMatches);
  });

  it('is stored once, atomically, and read back byte for byte', async () => {
    const s = await sampleSnapshot();
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-periods-'));
    const store = createSnapshotStore(dataDir);
    await store.write(s);
    const path = join(dataDir, 'periods', '2025-Q3', 'v1.json');
    expect(readFileSync(path, 'utf8')).toBe(snapshotBytes(s));
    expect(await store.read({ period: '2025-Q3', taxpayer: null })).toEqual(JSON.parse(snapshotBytes(s)));
    await expect(store.write(s)).rejects.toThrow(/never overwritten/);
    expect(readdirSync(join(dataDir, 'periods', '2025-Q3'))).toEqual(['v1.json']); // no temp file left
    expect(await store.scopes()).toEqual([{ period: '2025-Q3', taxpayer: null }]);
  });
});

describe('exports are pure functions of the snapshot', () => {
  it('same snapshot, identical bytes; CSV columns in the documented order, decimal point, no separators', async () => {
    const a = await sampleSnapshot();
    const b = await sampleSnapshot();
    expect(linesCsv(a)).toBe(linesCsv(b));
    expect(totalsCsv(a)).toBe(totalsCsv(b));
    expect(reportHtml(a)).toBe(reportHtml(b));
    const csv = linesCsv(a).split('\n');
    expect(a.csvFormat).toBe(2);
    expect(csv[0]).toBe(lineColumnNames(2).join(','));
    expect(csv[0]).toMatch(
      /^period,taxpayer_bin,site,meter,energy_source,basis,reason,kwh,rate_tenge_per_kwh,fee_tenge,from_utc,/,
    );
    expect(csv[1]).toMatch(/^2025-Q3,940140000385,ekb-1,ekb-1-m01,grid,metered,,32400\.123,2\.00,64800\.24600,20/);
    expect(csv[2]).toMatch(/^2025-Q3,940140000385,ekb-1,ekb-1-m01,grid,substituted,gap,1000\.000,2\.00,2000\.00000,20/);
    expect(csv).toHaveLength(sampleLines().length + 2); // header + lines + final newline
    const totals = totalsCsv(a);
    expect(totals).toContain(`total,2025-Q3,all,,,,,,${(a.totals.total.energyWh / 1000).toFixed(3)}`);
    expect(totals).toContain(`snapshot,2025-Q3,v1 ${a.digest}`);
  });

  it('a snapshot frozen before the CSV format was versioned re-exports its lines byte-identically (format 1)', async () => {
    const { csvFormat: _, ...frozen } = await sampleSnapshot();
    const csv = linesCsv(frozen).split('\n');
    expect(csv[0]).toBe('period,taxpayer_bin,site,meter,energy_source,basis,reason,kwh,rate_tenge_per_kwh,fee_tenge');
    expect(csv[1]).toBe('2025-Q3,940140000385,ekb-1,ekb-1-m01,grid,metered,,32400.123,2.00,64800.24600');
    expect(csv[2]).toBe('2025-Q3,940140000385,ekb-1,ekb-1-m01,grid,substituted,gap,1000.000,2.00,2000.00000');
    expect(csv).toHaveLength(sampleLines().length + 2);
  });

  it('HTML: A4, a page break between taxpayers, nothing external, BIN, due dates and digest', async () => {
    const s = await sampleSnapshot();
    const html = reportHtml(s);
    expect(html).toContain('@page { size: A4');
    expect(html).toContain('section.taxpayer + section.taxpayer { page-break-before: always');
    expect(html.match(/<section class="taxpayer"/g)).toHaveLength(2);
    expect(html).not.toMatch(/(src|href)=|@import|url\(/);
    for (const x of [BIN_A, BIN_B, 'declare by 2025-11-15, pay by 2025-11-25', s.digest, 'half-up-tiyn'])
      expect(html).toContain(x);
  });

  it('post-close adjustments appear in the totals CSV and the HTML', async () => {
    const s = await sampleSnapshot();
    const late = buildLateReport(s, new Map([['ast-3-m02', 3]]), [
      { ...sampleLines()[4]!, energyWh: 66_250_007, feeMilliTiyn: 66_250_007 * 200 },
    ]);
    expect(late).toMatchObject({
      lateReadings: 3,
      differenceMilliTiyn: 2_000_000,
      meters: [{ meterId: 'ast-3-m02', differenceWh: 10_000 }],
    });
    expect(totalsCsv(s, late)).toContain(
      'post-close-adjustment,2025-Q3,ast-3-m02 (3 late readings),,,,,,10.000,,20.00000',
    );
    expect(reportHtml(s, late)).toContain('Post-close adjustments');
  });
});
