/**
 * `kzmeter backup --out FILE` and `kzmeter restore FILE` (issue 25): the service's state (src/state/
 * backup-archive.ts) copied out of the configured data dir, or into an empty one. Both are recorded in the
 * audit trail (the restore appends to the restored trail, so the chain says when it was restored).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { isKzmError } from '../util/errors.ts';
import { packageVersion } from '../util/version.ts';
import { BackupError, packState, readBackup, restoreState } from '../state/backup-archive.ts';
import { auditKeyFilePath } from '../auth/audit-keys.ts';
import type { Config } from '../config/schema.ts';
import { openPgStateStore } from '../state/pg/pg-state.ts';
import type { StateStore } from '../state/state-store.ts';
import { cliAudit } from './audit.ts';
import { COMMON_OPTIONS, cliStreams } from './options.ts';

const BACKUP_HELP = `Usage: kzmeter backup --out FILE [--config F]
  Writes the service's state (users, token hashes, MQTT identities, period snapshots, the audit trail and its
  keys, signing keys, seals, invoices) from the data dir (and the PostgreSQL state database, with state.url) to FILE: a zip with a manifest of digests, mode 0600
  (it holds keys: keep it like a secret). Not in it: InfluxDB (influxd backup -portable, docs/deploy.md), the
  spool and the checkpoints. Safe while the service runs.
  --out FILE    where to write the backup
  --config F    settings file (the data dir is dataDir / KZM_DATA_DIR)
  --help        this text
Example: kzmeter backup --out /srv/backups/kzmeter-state-2026-12-06.zip`;
const RESTORE_HELP = `Usage: kzmeter restore FILE [--config F]
  Checks FILE against its manifest, then writes it into the configured data dir, which must be empty or absent
  (with state.url / KZM_STATE_URL: users, snapshots and the audit trail go into that PostgreSQL database, which
  must be empty too).
  Restore InfluxDB first, then this, then run kzmeter verify (docs/deploy.md, Backup and restore).
  --config F    settings file (the data dir is dataDir / KZM_DATA_DIR)
  --help        this text
Example: kzmeter restore kzmeter-state-2026-12-06.zip   (with KZM_DATA_DIR=/srv/kzmeter/data, empty)`;

type Io = { out?: (t: string) => void; err?: (t: string) => void };

export async function backupMain(argv: string[], io: Io = {}): Promise<number> {
  const { out, err } = cliStreams(io);
  const { values: v } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, out: { type: 'string' } } });
  if (v.help || !v.out) {
    (v.help ? out : err)(`${BACKUP_HELP}\n`);
    return v.help ? 0 : 2;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  const db = await stateDatabase(config);
  let zip: Uint8Array;
  try {
    zip = packState(config.dataDir, packageVersion(), Date.now(), 5, await db?.archive?.dump());
  } finally {
    await db?.close();
  }
  const file = resolve(v.out);
  writeFileSync(file, zip, { mode: 0o600 });
  const digest = createHash('sha256').update(zip).digest('hex');
  await cliAudit(config, { action: 'backup', what: { file, bytes: zip.length }, digest });
  out(
    `backup of ${config.dataDir}${db ? ` and ${db.where}` : ''} written to ${file} (${zip.length} bytes, sha256 ${digest})\n`,
  );
  return 0;
}

export async function restoreMain(argv: string[], io: Io = {}): Promise<number> {
  const { out, err } = cliStreams(io);
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: COMMON_OPTIONS });
  if (v.help || positionals.length !== 1) {
    (v.help ? out : err)(`${RESTORE_HELP}\n`);
    return v.help ? 0 : 2;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  const file = resolve(positionals[0]!);
  const zip = new Uint8Array(readFileSync(file));
  let db: StateStore | undefined;
  try {
    db = await stateDatabase(config);
    const { files } = readBackup(zip);
    if (db && !(await db.archive!.isEmpty()))
      throw new BackupError(`${db.where} is not empty: restore goes into an empty database only`, 'restore-not-empty');
    const m = restoreState(zip, config.dataDir, db?.archive?.holds);
    await db?.archive!.load(files);
    const into = db ? `${config.dataDir} and ${db.where}` : config.dataDir;
    await db?.close();
    db = undefined;
    const digest = createHash('sha256').update(zip).digest('hex');
    await cliAudit(config, {
      action: 'restore',
      what: { file, files: m.files.length, createdAt: m.createdAt },
      digest,
    });
    out(
      `restored ${m.files.length} files of the backup made ${m.createdAt} (kzmeter ${m.version}) into ${into}; ` +
        `restore InfluxDB too (docs/deploy.md, Backup and restore), then run kzmeter verify\n`,
    );
    return 0;
  } catch (e) {
    if (!isKzmError(e)) throw e;
    err(`restore refused: ${e.message}\n`);
    return 1;
  } finally {
    await db?.close();
  }
}

/**
 * The state database when `state.url` is set (its users, snapshots and audit trail go into the archive with the
 * data dir's files); opened without signing keys, which a restore must not create in the empty data dir.
 */
async function stateDatabase(config: Config): Promise<StateStore | undefined> {
  if (!config.state.url) return undefined;
  return openPgStateStore({
    url: config.state.url,
    dataDir: config.dataDir,
    auditKeyFile: config.audit.keyFile ?? auditKeyFilePath(config.dataDir),
  });
}
