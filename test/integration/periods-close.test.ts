/**
 * Close, export, restart, export again; late readings; reopen; bad requests.
 * Real InfluxDB (Debian influxd), the real registry (devices/), the HTTP routes on a bare fastify.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tenge } from '../../src/i18n/number-format.js';
import { formatTiyn, formatWhAsKwh } from '../../src/fees/index.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { periodRoutes } from '../../src/http/routes/periods.ts';
import { periodsMain } from '../../src/cli/periods.ts';
import { createPeriodService } from '../../src/periods/period-service.ts';
import type { PeriodSnapshot } from '../../src/periods/snapshot-types.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { Registry } from '../../src/registry/types.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { DEVICES_DIR } from '../helpers/service.ts';
import { BIN_A, BIN_B, at, steadyReadings, tariffs, writeLines } from '../unit/periods/fixtures.ts';

const PERIOD = '2025-07-01..2025-07-02';
const FROM = at('2025-07-01T00:00:00+05:00');
const TO = at('2025-07-03T00:00:00+05:00');
const CLOSED_AT = at('2025-07-10T09:00:00Z');

const influx = useInflux();
let target: InfluxTarget;
let registry: Registry;
let dataDir: string;
let nowMs = CLOSED_AT;

async function app(): Promise<FastifyInstance> {
  const svc = createPeriodService({ registry, tariffs: await tariffs(), target, dataDir, now: () => nowMs });
  const a = Fastify();
  await periodRoutes({ periods: svc })(a);
  await a.ready();
  return a;
}

beforeAll(async () => {
  target = influx.target();
  registry = loadRegistry(DEVICES_DIR);
  dataDir = mkdtempSync(join(tmpdir(), 'kzm-periods-it-'));
  const lines: string[] = [];
  for (const id of ['ekb-1-m01', 'ast-3-m02']) {
    const m = registry.meterById.get(id)!;
    const powerW = Math.floor(m.maxLoad.at(-1)!.maxLoadW * 0.9);
    // A 2-hour silence on ekb-1-m01: substituted at max load.
    lines.push(
      ...steadyReadings(
        id,
        m.siteId,
        FROM - 60_000,
        TO + 60_000,
        m.reportingIntervalS * 1000,
        powerW,
        (t) => t + 1_000,
      ).filter(
        (l) =>
          id !== 'ekb-1-m01' ||
          !/ (\d+)000000$/
            .exec(l)!
            .slice(1)
            .some((t) => Number(t) > FROM + 6 * 3_600_000 && Number(t) < FROM + 8 * 3_600_000),
      ),
    );
  }
  await writeLines(target, lines);
});
afterAll(async () => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const closeReq = (a: FastifyInstance, body: object, period = PERIOD) =>
  a.inject({ method: 'POST', url: `/api/periods/${encodeURIComponent(period)}/close`, payload: body });
const get = (a: FastifyInstance, path: string) =>
  a.inject({ method: 'GET', url: `/api/periods/${encodeURIComponent(PERIOD)}/${path}` });

describe('period close and exports on a real InfluxDB', () => {
  const first: Record<string, string> = {};
  let v1: PeriodSnapshot;

  it('closes, exports, and after a restart exports identical bytes with the same digest', async () => {
    const a = await app();
    // The preview names what a close would freeze; ekb-1-m02 sent nothing, so the close needs an acknowledgement.
    const preview = await get(a, 'preview');
    expect(preview.statusCode, preview.body).toBe(200);
    const p = preview.json() as {
      closedVersion: number | null;
      metersWithoutReadings: string[];
      needsAcknowledgement: string[];
      rows: { taxpayerBin: string; substitutedWh: number; meteredWh: number; amountTiyn: number }[];
      totalAmountTiyn: number;
    };
    expect(p.closedVersion).toBeNull();
    expect(p.metersWithoutReadings).toContain('ekb-1-m02');
    expect(p.metersWithoutReadings).not.toContain('ekb-1-m01');
    expect(p.needsAcknowledgement.join(' ')).toMatch(/ekb-1-m02/);
    expect(p.rows.reduce((s, r) => s + r.amountTiyn, 0)).toBe(p.totalAmountTiyn);
    const refused = await closeReq(a, { closedBy: 'accountant' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatch(/needs an acknowledgement.*ekb-1-m02/);
    expect(existsSync(join(dataDir, 'periods', PERIOD))).toBe(false);
    // Issue 26: the CLI previews the close (it was an unknown option) and a refused close names --acknowledge
    // and the amount at stake.
    const svc = createPeriodService({ registry, tariffs: await tariffs(), target, dataDir, now: () => nowMs });
    const said: string[] = [];
    expect(
      await periodsMain('close', ['--period', PERIOD, '--preview', '--lang', 'ru'], svc, (t) => said.push(t)),
    ).toBe(0);
    const cliPreview = said.join('\n');
    expect(cliPreview).toContain(`Сумма к декларированию: ${tenge(p.totalAmountTiyn, 'ru')}`);
    expect(cliPreview).toMatch(/ekb-1-m02/);
    expect(cliPreview).toContain('--acknowledge');
    expect(existsSync(join(dataDir, 'periods', PERIOD))).toBe(false);
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((t: string) => void errors.push(t));
    try {
      expect(await periodsMain('close', ['--period', PERIOD, '--by', 'cli', '--lang', 'en'], svc, () => {})).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('\n')).toMatch(/needs an acknowledgement.*ekb-1-m02/);
    expect(errors.join('\n')).toContain(`Amount that would be declared: ${tenge(p.totalAmountTiyn, 'en')}`);
    expect(errors.join('\n')).toContain('--acknowledge "TEXT"');
    expect(existsSync(join(dataDir, 'periods', PERIOD))).toBe(false);
    const res = await closeReq(a, {
      closedBy: 'accountant',
      acknowledgement: 'ekb-1-m02 was idle: rigs not installed',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().snapshot.acknowledgement).toEqual({
      by: 'accountant',
      reason: 'ekb-1-m02 was idle: rigs not installed',
      items: p.needsAcknowledgement,
    });
    expect(res.json().snapshot.declaredTotalTiyn).toBe(p.totalAmountTiyn);
    v1 = (res.json() as { snapshot: PeriodSnapshot }).snapshot;
    expect(v1).toMatchObject({
      period: PERIOD,
      version: 1,
      closedBy: 'accountant',
      closedAt: new Date(CLOSED_AT).toISOString(),
      registryVersion: registry.version,
      engineVersion: '0.1.0',
    });
    // Every taxpayer of the example registry, the miner hosted at pvl-4 (no readings) included.
    expect(v1.taxpayers.map((t) => t.bin).sort()).toEqual(['210340012344', BIN_A, BIN_B]);
    expect(v1.lines.some((l) => l.meterId === 'ekb-1-m01' && l.reason === 'gap')).toBe(true);
    expect(v1.lines.some((l) => l.meterId === 'ekb-1-m02' && l.reason === 'no-readings')).toBe(true);
    expect(existsSync(join(dataDir, 'periods', PERIOD, 'v1.json'))).toBe(true);
    for (const f of ['export.csv', 'export-totals.csv', 'export.json', 'export.html']) {
      const r = await get(a, f);
      expect(r.statusCode, r.body).toBe(200);
      first[f] = r.body;
    }
    expect(JSON.parse(first['export.json']!).digest).toBe(v1.digest);
    // Closing again is a no-op that returns the same snapshot.
    const again = await closeReq(a, { closedBy: 'someone else' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, version: 1, digest: v1.digest });
    await a.close();

    nowMs += 86_400_000; // a day later, a new process
    const b = await app();
    for (const f of Object.keys(first)) expect((await get(b, f)).body).toBe(first[f]);
    const verify = await get(b, 'verify');
    expect(verify.json()).toMatchObject({ digestOk: true, linesIdentical: true, differences: [], ok: true });
    const list = (await b.inject({ method: 'GET', url: '/api/periods' })).json() as {
      periods: { period: string; state: string; latePending: number }[];
    };
    expect(list.periods.find((p) => p.period === PERIOD)).toMatchObject({ state: 'closed v1', latePending: 0 });
    await b.close();
  });

  it('late readings leave the snapshot untouched and show up as post-close adjustments', async () => {
    const a = await app();
    const m = registry.meterById.get('ekb-1-m01')!;
    const powerW = Math.floor(m.maxLoad.at(-1)!.maxLoadW * 0.9);
    // The gateway finally delivers the silent 2 hours, after the close.
    const late = steadyReadings(
      'ekb-1-m01',
      m.siteId,
      FROM - 60_000,
      TO + 60_000,
      m.reportingIntervalS * 1000,
      powerW,
      () => nowMs,
    ).filter((l) => {
      const t = Number(/ (\d+)000000$/.exec(l)![1]); // the point's time, ms
      return t > FROM + 6 * 3_600_000 && t < FROM + 8 * 3_600_000;
    });
    await writeLines(target, late);
    const bytesBefore = readFileSync(join(dataDir, 'periods', PERIOD, 'v1.json'), 'utf8');
    const report = (await get(a, 'late-data')).json() as {
      lateReadings: number;
      meters: { meterId: string; lateReadings: number; differenceMilliTiyn: number }[];
    };
    expect(report.lateReadings).toBe(late.length);
    expect(report.meters).toHaveLength(1);
    expect(report.meters[0]).toMatchObject({ meterId: 'ekb-1-m01', lateReadings: late.length });
    expect(report.meters[0]!.differenceMilliTiyn).toBeLessThan(0); // metered 90 % instead of max load
    expect((await get(a, 'export.json')).body).toBe(first['export.json']);
    expect((await get(a, 'export.csv')).body).toBe(first['export.csv']);
    const totals = (await get(a, 'export-totals.csv')).body;
    expect(totals).toContain(`post-close-adjustment,${PERIOD},ekb-1-m01 (${late.length} late readings)`);
    expect((await get(a, 'export.html')).body).toContain('Post-close adjustments');
    expect(readFileSync(join(dataDir, 'periods', PERIOD, 'v1.json'), 'utf8')).toBe(bytesBefore);
    const list = (await a.inject({ method: 'GET', url: '/api/periods' })).json() as {
      periods: { period: string; latePending: number }[];
    };
    expect(list.periods.find((p) => p.period === PERIOD)!.latePending).toBe(late.length);
    await a.close();
  });

  it('reopen needs a reason; with one the next close is version 2 and version 1 is kept', async () => {
    const a = await app();
    const url = `/api/periods/${encodeURIComponent(PERIOD)}/reopen`;
    const refused = await a.inject({ method: 'POST', url, payload: { reopenedBy: 'accountant' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatch(/reason is required/);
    const ok = await a.inject({
      method: 'POST',
      url,
      payload: { reopenedBy: 'accountant', reason: 'late gateway flush for ekb-1-m01' },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(
      (await a.inject({ method: 'GET', url: '/api/periods' }))
        .json()
        .periods.find((p: { period: string }) => p.period === PERIOD).state,
    ).toBe('reopened after v1');
    nowMs += 3_600_000;
    const v2 = (
      await closeReq(a, { closedBy: 'accountant', reason: 'includes the late flush', acknowledgement: 'as in v1' })
    ).json() as {
      version: number;
      snapshot: PeriodSnapshot;
    };
    expect(v2.version).toBe(2);
    expect(v2.snapshot.previousVersions).toEqual([
      expect.objectContaining({ version: 1, digest: v1.digest, reopenReason: 'late gateway flush for ekb-1-m01' }),
    ]);
    expect(v2.snapshot.totals.total.feeMilliTiyn).toBeLessThan(v1.totals.total.feeMilliTiyn);
    expect(readFileSync(join(dataDir, 'periods', PERIOD, 'v1.json'), 'utf8')).toBe(first['export.json']);
    expect((await get(a, 'export.json?version=1')).body).toBe(first['export.json']);
    const html = (await get(a, 'export.html')).body;
    expect(html).toContain(v1.digest);
    expect(html).toContain('v2 (this)');
    expect((await get(a, 'late-data')).json()).toMatchObject({ version: 2, lateReadings: 0 });
    await a.close();
  });

  it.each([
    {
      name: 'unknown period syntax',
      period: '2025-Q5',
      body: { closedBy: 'x' },
      status: 400,
      error: /expected YYYY-Qn/,
    },
    {
      name: 'a period still in progress',
      period: '2025-Q3',
      body: { closedBy: 'x' },
      status: 409,
      error: /still in progress/,
    },
    {
      name: 'an unknown taxpayer',
      period: PERIOD,
      body: { closedBy: 'x', taxpayer: '000000000000' },
      status: 404,
      error: /unknown taxpayer BIN "000000000000"/,
    },
    {
      name: 'a malformed taxpayer',
      period: PERIOD,
      body: { closedBy: 'x', taxpayer: '12' },
      status: 400,
      error: /12-digit BIN/,
    },
    { name: 'no closedBy', period: PERIOD, body: {}, status: 400, error: /closedBy/ },
  ])('close refuses $name', async ({ period, body, status, error }) => {
    const a = await app();
    const res = await closeReq(a, body, period);
    expect(res.statusCode).toBe(status);
    expect(res.json().error).toMatch(error);
    await a.close();
  });

  it('the CLI exports the same bytes as HTTP and refuses bad arguments', async () => {
    const svc = createPeriodService({ registry, tariffs: await tariffs(), target, dataDir, now: () => nowMs });
    const out: string[] = [];
    expect(await periodsMain('export', ['--period', PERIOD, '--format', 'json'], svc, (s) => out.push(s))).toBe(0);
    const a = await app();
    expect(out[0]).toBe((await get(a, 'export.json')).body);
    await a.close();
    expect(await periodsMain('close', ['--period', PERIOD, '--by', 'cli'], svc, (s) => out.push(s))).toBe(0);
    expect(out.at(-1)).toMatch(/^Already closed: .* v2 sha256:/);
    expect(await periodsMain('reopen', ['--period', PERIOD], svc, () => undefined)).toBe(2);
    expect(await periodsMain('export', [], svc, () => undefined)).toBe(2);
    expect(await periodsMain('verify', ['--period', PERIOD], svc, (s) => out.push(s))).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ version: 2, ok: true });
  });

  it('issue 26: the printable export in ru, kk and en says the same figures; CSV headers translate, data does not', async () => {
    const a = await app();
    const s = JSON.parse((await get(a, 'export.json')).body) as PeriodSnapshot;
    // back to the engine's text: ru and kk group with no-break spaces and write a decimal comma, en groups with commas
    const digits = (t: string, lang: string) =>
      lang === 'en' ? t.replace(/,/g, '') : t.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
    const cells = (html: string, cls: string) =>
      [...html.matchAll(new RegExp(`<td class="${cls}">([^<]*)</td>`, 'g'))].map((m) => m[1]!);
    const byLang: Record<string, { due: string[]; kwh: string[]; html: string }> = {};
    for (const lang of ['ru', 'kk', 'en']) {
      const r = await get(a, `export.html?lang=${lang}`);
      expect(r.statusCode, r.body).toBe(200);
      expect(r.body).toContain(`<html lang="${lang}">`);
      byLang[lang] = { due: cells(r.body, 'amount-due'), kwh: cells(r.body, 'total-kwh'), html: r.body };
    }
    const declaredOf = (bin: string) =>
      s.declared.filter((d) => d.taxpayerBin === bin).reduce((x, d) => x + d.amountTiyn, 0);
    const withLines = s.taxpayers.filter((t) => s.lines.some((l) => l.taxpayerBin === t.bin));
    const want = withLines.map((t) => formatTiyn(declaredOf(t.bin)));
    const wantKwh = withLines.map((t) => formatWhAsKwh(s.totals.byTaxpayer.find((x) => x.key === t.bin)!.energyWh));
    for (const lang of ['ru', 'kk', 'en']) {
      expect(
        byLang[lang]!.due.map((t) => digits(t, lang)),
        lang,
      ).toEqual(want);
      expect(
        byLang[lang]!.kwh.map((t) => digits(t, lang)),
        lang,
      ).toEqual(wantKwh);
    }
    expect(byLang.ru!.due[0]).toBe(tenge(declaredOf(withLines[0]!.bin), 'ru').replace(/\u00a0₸$/, ''));
    expect(byLang.ru!.html).toContain('Налогоплательщик');
    expect(byLang.ru!.html).toContain('БИН');
    expect(byLang.kk!.html).toContain('Салық төлеуші');
    expect(byLang.kk!.html).toContain('БСН');
    const en = (await get(a, 'export.csv')).body;
    const ru = (await get(a, 'export.csv?lang=ru')).body;
    const ruNoBom = (await get(a, 'export.csv?lang=ru&bom=0')).body;
    expect(en.charCodeAt(0)).not.toBe(0xfeff);
    expect(ru.charCodeAt(0)).toBe(0xfeff);
    expect(ruNoBom.charCodeAt(0)).not.toBe(0xfeff);
    expect(ruNoBom.split('\n')[0]).toMatch(/^Период,БИН налогоплательщика,/);
    expect(ruNoBom.split('\n').slice(1)).toEqual(en.split('\n').slice(1));
    const kkTotals = (await get(a, 'export-totals.csv?lang=kk&bom=0')).body;
    expect(kkTotals.split('\n')[0]).toMatch(/^Бөлім,Кезең,/);
    expect(kkTotals.split('\n').slice(1)).toEqual((await get(a, 'export-totals.csv')).body.split('\n').slice(1));
    // Accept-Language chooses when ?lang= does not
    const byHeader = await a.inject({
      method: 'GET',
      url: `/api/periods/${encodeURIComponent(PERIOD)}/export.html`,
      headers: { 'accept-language': 'kk-KZ,kk;q=0.9,ru;q=0.8' },
    });
    expect(byHeader.body).toContain('<html lang="kk">');
    await a.close();
  });

  it('exports of a period never closed, or of an unknown file, are 404 with a message', async () => {
    const a = await app();
    const res = await a.inject({ method: 'GET', url: '/api/periods/2025-06/export.csv' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatch(/2025-06 is not closed/);
    expect((await get(a, 'export.pdf')).statusCode).toBe(404);
    await a.close();
  });
});
