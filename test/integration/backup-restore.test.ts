/**
 * Issue 25: "there is no way to back the state up and restore it except copying files by hand". A period is
 * closed (and so audited) from the command line, backed up, restored into an empty data dir, and there
 * `kzmeter verify` passes (the audit chain and the period, recomputed from InfluxDB) and the export is
 * byte-identical. A damaged backup and a non-empty target are refused; what is not state stays out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupMain, restoreMain } from '../../src/cli/backup.ts';
import { auditVerifyMain } from '../../src/cli/audit.ts';
import { periodsMain } from '../../src/cli/periods.ts';
import { readBackup } from '../../src/state/backup-archive.ts';
import { useInflux } from '../helpers/influx.ts';
import { closeAndExport, printed, writeStateConfig, writeSteadyM01 } from '../helpers/state-cli.ts';
import { at } from '../unit/periods/fixtures.ts';

const PERIOD = '2025-07-01..2025-07-02';
const FROM = at('2025-07-01T00:00:00+05:00');
const TO = at('2025-07-03T00:00:00+05:00');
const influx = useInflux();
let root: string;
const cfg = (name: string) => join(root, `${name}.yaml`);
const config = (name: string) => writeStateConfig(root, name, influx.target());

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kzm-backup-'));
  await writeSteadyM01(influx.target(), FROM, TO);
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('backup and restore of the state', () => {
  it('closed period backed up, restored into an empty data dir: verify passes, the export is identical', async () => {
    const a = config('a');
    const { close, exported: exportA } = await closeAndExport(a, PERIOD, 'accountant', 'only m01 installed');
    expect(close.code, close.out).toBe(0);
    expect(exportA.code).toBe(0);
    // Not state: the local InfluxDB's files and credentials, the spool, the checkpoints, a write in progress.
    for (const f of [
      'influxdb/data/x',
      'spool/seg-1',
      'fee-days-checkpoint.json',
      'rollup-checkpoint.json',
      'auth/local-influxd.json',
      'periods/x.123.tmp',
    ]) {
      mkdirSync(join(root, 'a', f, '..'), { recursive: true });
      writeFileSync(join(root, 'a', f), 'not state');
    }
    const zip = join(root, 'state.zip');
    const lines: string[] = [];
    expect(await backupMain(['--out', zip, '--config', a], { out: (t) => lines.push(t) })).toBe(0);
    expect(lines.join('')).toMatch(/^backup of .* written to .*state\.zip \(\d+ bytes, sha256 [0-9a-f]{64}\)/);
    expect(statSync(zip).mode & 0o777).toBe(0o600);
    const { manifest } = readBackup(new Uint8Array(readFileSync(zip)));
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['audit/audit.log', expect.stringMatching(/^periods\//)]));
    expect(paths.filter((p) => /^(influxdb|spool)\/|checkpoint|local-influxd|\.tmp$/.test(p))).toEqual([]);

    const b = config('b');
    const restored: string[] = [];
    expect(await restoreMain([zip, '--config', b], { out: (t) => restored.push(t) })).toBe(0);
    expect(restored.join('')).toMatch(new RegExp(`restored ${paths.length} files of the backup made`));
    // The audit trail came along, chain intact, with the close, the backup and the restore on it.
    const audit = await printed((p) => auditVerifyMain(['--config', b], p));
    expect(audit.code, audit.out).toBe(0);
    const log = readFileSync(join(root, 'b', 'audit', 'audit.log'), 'utf8');
    expect(log).toMatch(/"action":"close"/);
    expect(log).toMatch(/"action":"restore"/);
    const verify = await printed((p) => periodsMain('verify', ['--period', PERIOD, '--config', b], undefined, p));
    expect(verify.code, verify.out).toBe(0);
    expect(JSON.parse(verify.last)).toMatchObject({ ok: true });
    const exportB = await printed((p) =>
      periodsMain('export', ['--period', PERIOD, '--format', 'json', '--config', b], undefined, p),
    );
    expect(exportB.out).toBe(exportA.out);
    // A secret stays private in the restored dir.
    for (const f of manifest.files.filter((x) => x.mode === 0o600))
      expect(statSync(join(root, 'b', f.path)).mode & 0o777).toBe(0o600);
  });

  it('refuses a non-empty data dir and a damaged backup, naming what is wrong', async () => {
    const zip = join(root, 'state.zip');
    const errs: string[] = [];
    expect(await restoreMain([zip, '--config', cfg('b')], { err: (t) => errs.push(t) })).toBe(1);
    expect(errs.join('')).toMatch(/restore refused: .*b is not empty: restore goes into an empty data dir/);
    const bytes = readFileSync(zip);
    const { manifest } = readBackup(new Uint8Array(bytes));
    // Change one byte of a stored file (level-6 deflate: find the file's data by rewriting the zip instead).
    const { zipSync, unzipSync } = await import('fflate');
    const entries = unzipSync(new Uint8Array(bytes));
    const victim = manifest.files.find((f) => f.path.startsWith('periods/'))!.path;
    const file = entries[victim]!;
    file[10] = file[10]! ^ 1;
    const damaged = join(root, 'damaged.zip');
    writeFileSync(damaged, zipSync(entries));
    const c = config('c');
    errs.length = 0;
    expect(await restoreMain([damaged, '--config', c], { err: (t) => errs.push(t) })).toBe(1);
    expect(errs.join('')).toContain(`${victim} in the backup does not match its manifest: the backup is damaged`);
  });
});
