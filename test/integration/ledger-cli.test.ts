/** `kzmeter ledger` against a real InfluxDB and the example registry. */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLocalInflux } from '../../src/cli/local-influx.ts';
import { ledgerMain } from '../../src/cli/ledger.ts';
import { lineColumnNames } from '../../src/ledger/csv.ts';
import { meterFacts } from '../../src/ledger/scope.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { MIN, at, generate, writeMeterData } from '../unit/ledger/store-fixtures.ts';

const DEVICES = fileURLToPath(new URL('../../devices', import.meta.url));
const influx = useInflux();
let target: InfluxTarget;

beforeAll(async () => {
  target = influx.target();
  const registry = loadRegistry(DEVICES);
  const span = {
    fromMs: at('2025-09-30T00:00+05:00'),
    toMs: at('2025-10-01T06:00+05:00'),
    stepMs: MIN,
    powerW: 30_000,
  };
  await writeMeterData(
    target,
    ['ekb-1-m01', 'ekb-1-m02'].map((id) =>
      generate({
        ...span,
        facts: meterFacts(registry.meterById.get(id)!),
        faults: [[at('2025-09-30T12:00+05:00'), at('2025-09-30T12:05+05:00')]],
      }),
    ),
  );
});

async function run(
  argv: string[],
  env: NodeJS.ProcessEnv = {
    KZM_INFLUX_URL: target.url,
    KZM_INFLUX_DATABASE: target.database,
    KZM_REGISTRY_DIR: DEVICES,
  },
) {
  let stdout = '';
  let stderr = '';
  const code = await ledgerMain(argv, {
    env,
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    now: () => at('2026-01-10T00:00+05:00'),
  });
  return { code, stdout, stderr };
}

describe('kzmeter ledger', () => {
  it('json is the API answer; csv has the documented columns, one row per line, decimal points', async () => {
    const json = await run(['--period', '2025-09-30..2025-09-30', '--site', 'ekb-1', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    const csv = await run(['--period', '2025-09-30..2025-09-30', '--site', 'ekb-1', '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe(lineColumnNames().join(','));
    expect(rows.length - 1).toBe(report.lines.length);
    const fault = rows.find((r) => r.includes('fault-status'))!.split(',');
    expect(fault[3]).toBe('ekb-1-m01');
    expect(fault[7]).toMatch(/^\d+\.\d{3}$/);
    const declared = await run([
      '--period',
      '2025-09-30..2025-09-30',
      '--site',
      'ekb-1',
      '--format',
      'csv',
      '--csv-table',
      'declared',
    ]);
    const sumTiyn = declared.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      // declared_tenge: whole tiyn with 2 decimals, summed as integers.
      .reduce((s, r) => s + Number(r.split(',')[12]!.replace('.', '')), 0);
    expect(sumTiyn).toBe(report.totals.declaredTiyn);
  });

  it('table for people, with policy', async () => {
    const r = await run(['--period', '2025-Q4', '--taxpayer', '940140000385', '--policy', 'register-reconciled']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Ledger 2025-Q4/);
    expect(r.stdout).toMatch(/Policy: register-reconciled/);
    // issue 26: figures grouped by the one number formatter (en: 3,322,466.00)
    expect(r.stdout).toMatch(/amount due \d{1,3}(,\d{3})*\.\d\d tenge/);
  });

  it('takes the default policy, grace, spike tolerance and rounding from the configuration', async () => {
    const env = {
      KZM_INFLUX_URL: target.url,
      KZM_INFLUX_DATABASE: target.database,
      KZM_REGISTRY_DIR: DEVICES,
      KZM_FEES_POLICY: 'register-reconciled',
      KZM_FEES_GRACE_INTERVALS: '10',
      KZM_FEES_SPIKE_TOLERANCE: '1.5',
      KZM_FEES_ROUNDING_OVERRIDE: 'half-up-tenge',
    };
    const r = await run(['--period', '2025-09-30..2025-09-30', '--site', 'ekb-1', '--format', 'json'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      policy: unknown;
      declared: { amountTiyn: number; roundingRule: string }[];
    };
    expect(report.policy).toEqual({ name: 'register-reconciled', graceIntervals: 10, spikeTolerance: 1.5 });
    expect(report.declared.length).toBeGreaterThan(0);
    for (const d of report.declared)
      expect(d).toMatchObject({ roundingRule: 'half-up-tenge', amountTiyn: Math.round(d.amountTiyn / 100) * 100 });
    // A request still names its own policy; the configured grace and tolerance stay.
    const strict = JSON.parse(
      (
        await run(
          ['--period', '2025-09-30..2025-09-30', '--site', 'ekb-1', '--format', 'json', '--policy', 'strict'],
          env,
        )
      ).stdout,
    ) as { policy: unknown };
    expect(strict.policy).toEqual({ name: 'strict', graceIntervals: 10, spikeTolerance: 1.5 });
    await expect(run(['--period', '2025-Q3'], { ...env, KZM_FEES_POLICY: 'lenient' })).rejects.toThrow(
      /fees\.policy \(KZM_FEES_POLICY\): .*"strict"\|"register-reconciled"/,
    );
  });

  it('says what to set when no InfluxDB URL is configured and no service wrote its address', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-cli-'));
    const r = await run(['--period', '2025-Q3'], { KZM_REGISTRY_DIR: DEVICES, KZM_DATA_DIR: dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/start the service \(npm start.*or set KZM_INFLUX_URL/);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the InfluxDB that a running `serve` started (<dataDir>/local-influx.json), and ignores a stale one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-cli-'));
    const env = { KZM_REGISTRY_DIR: DEVICES, KZM_DATA_DIR: dataDir, KZM_INFLUX_DATABASE: target.database };
    writeLocalInflux(dataDir, { url: target.url, database: target.database, pid: process.pid });
    const r = await run(['--period', '2025-09-30..2025-09-30', '--site', 'ekb-1', '--format', 'json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { totals: { meteredWh: number } }).totals.meteredWh).toBeGreaterThan(0);
    // The service that wrote it has stopped (no such process): not used.
    writeLocalInflux(dataDir, { url: target.url, database: target.database, pid: 2 ** 22 + 12345 });
    expect((await run(['--period', '2025-Q3'], env)).code).toBe(2);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a bad period or format with a message', async () => {
    expect((await run(['--period', 'Q3-2025'])).stderr).toMatch(/expected YYYY-Qn/);
    expect((await run(['--period', '2025-Q3', '--format', 'xml'])).stderr).toMatch(
      /--format must be json, csv or table/,
    );
    expect((await run(['--period', '2025-Q3', '--site', 'nope'])).code).toBe(2);
  });

  it('issue 26: without a period it names --period or --from/--to, not a stray field name', async () => {
    const none = await run(['--site', 'ekb-1']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Give --period P .* or --from DATE and --to DATE/);
    expect(none.stderr).not.toMatch(/^from:/);
    const half = await run(['--from', '2025-07-01']);
    expect(half.stderr).toMatch(/--to is missing/);
    expect((await run(['--period', '2025-Q3', '--to', '2025-07-02'])).stderr).toMatch(/not both/);
  });
});
