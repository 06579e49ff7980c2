/**
 * Issue 25: "`kzmeter backup --out FILE` (the state, consistent, from files or PostgreSQL) and `kzmeter restore
 * FILE` into an empty data dir or database". A period closed on PostgreSQL is backed up into the same archive
 * format as the file store's, restored into an empty database (and data dir): `kzmeter verify` passes and the
 * export is byte-identical. A non-empty database is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerifyMain } from '../../src/cli/audit.ts';
import { backupMain, restoreMain } from '../../src/cli/backup.ts';
import { periodsMain } from '../../src/cli/periods.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { readBackup } from '../../src/state/backup-archive.ts';
import { useInflux } from '../helpers/influx.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { DEVICES_DIR } from '../helpers/service.ts';
import { at, steadyReadings, writeLines } from '../unit/periods/fixtures.ts';

const PERIOD = '2025-07-01..2025-07-02';
const influx = useInflux();
const postgres = usePostgres();
let root: string;

async function config(name: string, stateUrl: string): Promise<string> {
  const t = influx.target();
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `dataDir: ${join(root, name)}`,
      `registryDir: ${DEVICES_DIR}`,
      `tariffsDir: ${join(DEVICES_DIR, '..', 'tariffs')}`,
      'influx:',
      `  url: ${t.url}`,
      `  database: ${t.database}`,
      'state:',
      `  url: ${stateUrl}`,
    ].join('\n'),
  );
  return file;
}

const run = async (f: (print: (s: string) => void) => Promise<number>) => {
  const out: string[] = [];
  const code = await f((s) => out.push(s));
  return { code, out: out.join('\n'), last: out.at(-1) ?? '' };
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kzm-pgbackup-'));
  const m = loadRegistry(DEVICES_DIR).meterById.get('ekb-1-m01')!;
  const powerW = Math.floor(m.maxLoad.at(-1)!.maxLoadW * 0.9);
  const from = at('2025-07-01T00:00:00+05:00') - 60_000;
  const to = at('2025-07-03T00:00:00+05:00') + 60_000;
  await writeLines(
    influx.target(),
    steadyReadings(m.id, m.siteId, from, to, m.reportingIntervalS * 1000, powerW, (t) => t + 1_000),
  );
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('backup and restore with the state in PostgreSQL (issue 25)', () => {
  it('issue 25: a close on PostgreSQL backed up, restored into an empty database: verify passes, identical export', async () => {
    const a = await config('a', await postgres.get().database());
    const close = await run((p) =>
      periodsMain(
        'close',
        ['--period', PERIOD, '--by', 'acc', '--acknowledge', 'only m01', '--config', a],
        undefined,
        p,
      ),
    );
    expect(close.code, close.out).toBe(0);
    const exportA = await run((p) =>
      periodsMain('export', ['--period', PERIOD, '--format', 'json', '--config', a], undefined, p),
    );
    expect(exportA.code).toBe(0);
    const zip = join(root, 'state.zip');
    const said: string[] = [];
    expect(await backupMain(['--out', zip, '--config', a], { out: (t) => said.push(t) })).toBe(0);
    expect(said.join('')).toMatch(/and PostgreSQL postgres:\/\/\*\*\*@127\.0\.0\.1/);
    expect(said.join('')).not.toContain(postgres.get().password);
    // The file store's archive format: the database's rows appear as the files it would have written.
    const { manifest, files } = readBackup(new Uint8Array(readFileSync(zip)));
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['audit/audit.log', `periods/${PERIOD}/v1.json`, `periods/${PERIOD}/v1.sig.json`]),
    );
    expect(new TextDecoder().decode(files.get(`periods/${PERIOD}/v1.json`))).toBe(exportA.out);

    const b = await config('b', await postgres.get().database());
    const restored: string[] = [];
    expect(await restoreMain([zip, '--config', b], { out: (t) => restored.push(t) })).toBe(0);
    expect(restored.join('')).toMatch(/restored \d+ files .* and PostgreSQL/);
    const audit = await run((p) => auditVerifyMain(['--config', b], p));
    expect(audit.code, audit.out).toBe(0);
    expect(audit.out).toMatch(/chain intact/);
    const verify = await run((p) => periodsMain('verify', ['--period', PERIOD, '--config', b], undefined, p));
    expect(verify.code, verify.out).toBe(0);
    const exportB = await run((p) =>
      periodsMain('export', ['--period', PERIOD, '--format', 'json', '--config', b], undefined, p),
    );
    expect(exportB.out).toBe(exportA.out);

    // Into a database that holds state already: refused, nothing written.
    const c = await config('c', await dbOf(b));
    const errs: string[] = [];
    expect(await restoreMain([zip, '--config', c], { err: (t) => errs.push(t) })).toBe(1);
    expect(errs.join('')).toMatch(
      /restore refused: PostgreSQL postgres:\/\/\*\*\*@.* is not empty: restore goes into an empty database/,
    );
  });
});

/** The state URL of a config written above. */
async function dbOf(configFile: string): Promise<string> {
  return /url: (postgres:\S+)/.exec(readFileSync(configFile, 'utf8'))![1]!;
}
