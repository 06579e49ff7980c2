/**
 * Issue 25: "`kzmeter backup --out FILE` (the state, consistent, from files or PostgreSQL) and `kzmeter restore
 * FILE` into an empty data dir or database". A period closed on PostgreSQL is backed up into the same archive
 * format as the file store's, restored into an empty database (and data dir): `kzmeter verify` passes and the
 * export is byte-identical. A non-empty database is refused.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerifyMain } from '../../src/cli/audit.ts';
import { backupMain, restoreMain } from '../../src/cli/backup.ts';
import { periodsMain } from '../../src/cli/periods.ts';
import { readBackup } from '../../src/state/backup-archive.ts';
import { useInflux } from '../helpers/influx.ts';
import { closeAndExport, printed, writeStateConfig, writeSteadyM01 } from '../helpers/state-cli.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { at } from '../unit/periods/fixtures.ts';

const PERIOD = '2025-07-01..2025-07-02';
const influx = useInflux();
const postgres = usePostgres();
let root: string;

const config = async (name: string, stateUrl: string) => writeStateConfig(root, name, influx.target(), stateUrl);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kzm-pgbackup-'));
  await writeSteadyM01(influx.target(), at('2025-07-01T00:00:00+05:00'), at('2025-07-03T00:00:00+05:00'));
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('backup and restore with the state in PostgreSQL (issue 25)', () => {
  it('issue 25: a close on PostgreSQL backed up, restored into an empty database: verify passes, identical export', async () => {
    const a = await config('a', await postgres.get().database());
    const { close, exported: exportA } = await closeAndExport(a, PERIOD, 'acc', 'only m01');
    expect(close.code, close.out).toBe(0);
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
    const audit = await printed((p) => auditVerifyMain(['--config', b], p));
    expect(audit.code, audit.out).toBe(0);
    expect(audit.out).toMatch(/chain intact/);
    const verify = await printed((p) => periodsMain('verify', ['--period', PERIOD, '--config', b], undefined, p));
    expect(verify.code, verify.out).toBe(0);
    const exportB = await printed((p) =>
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
