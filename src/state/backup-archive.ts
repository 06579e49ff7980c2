/**
 * A backup of the service's state (issue 25): every file of the data dir that is not in InfluxDB or derived
 * from it (users, API token hashes, MQTT identities and client ids, period snapshots, the audit trail and its
 * keys, signing keys, seals, invoices), in one zip with a manifest of each file's size, SHA-256 and mode.
 * Left out, on purpose: the local InfluxDB (`influxd backup -portable` backs it up: docs/deploy.md), the spool
 * (acknowledged readings on their way to InfluxDB: stop the service or let it drain first) and the
 * checkpoints (a start without them recomputes what they saved). A restore goes into an empty data dir only
 * and checks every byte against the manifest first.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { strToU8, strFromU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { z } from 'zod';
import { KzmError } from '../util/errors.ts';

export const BACKUP_MANIFEST = 'kzmeter-backup.json';
const FORMAT = 1;

/** Top-level entries of the data dir that are not state (see above). */
const NOT_STATE = new Set([
  'influxdb',
  'influxd.conf',
  'spool',
  'fee-days-checkpoint.json',
  'rollup-checkpoint.json',
  'local-influx.json',
]);
/**
 * Files under auth/ that are not state to restore: the local InfluxDB's own admin (restored with its data) and the
 * dashboard sessions (hashes of live logins, 12 h at most: a restore starts with nobody logged in).
 */
const NOT_STATE_FILES = new Set([join('auth', 'local-influxd.json'), join('auth', 'sessions.json')]);

const manifestSchema = z.strictObject({
  format: z.literal(FORMAT),
  createdAt: z.string(),
  version: z.string(),
  files: z.array(
    z.strictObject({
      path: z.string().min(1),
      bytes: z.number().int().min(0),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      mode: z.number().int().min(0).max(0o777),
    }),
  ),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

export class BackupError extends KzmError {
  constructor(message: string, code: 'backup-damaged' | 'restore-not-empty' | 'backup-unstable') {
    super(message, { code });
  }
}

/** A file of the archive that is not read from the data dir (the state database's, src/state/pg/pg-archive.ts). */
export interface ArchiveFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly mode: number;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The state files of a data dir, relative paths in a stable order. */
export function stateFiles(dataDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(dataDir, full);
      if (dir === dataDir && NOT_STATE.has(name)) continue;
      if (NOT_STATE_FILES.has(rel) || /\.\d+\.tmp$/.test(name)) continue; // a write in progress is not state yet
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out.push(rel.split(sep).join('/'));
    }
  };
  if (existsSync(dataDir)) walk(dataDir);
  return out;
}

/** Size and mtime of every state file: unchanged across a copy means the copy is one moment's state. */
function fingerprint(dataDir: string, files: readonly string[]): string {
  return files
    .map((f) => {
      const st = statSync(join(dataDir, f), { throwIfNoEntry: false });
      return `${f}:${st?.size}:${st?.mtimeMs}`;
    })
    .join('\n');
}

/**
 * The state as a zip. A running service may write while it is read: each file is written whole (a rename),
 * and the copy is repeated until no state file changed during it (a close writes a snapshot and an audit line).
 */
export function packState(
  dataDir: string,
  version: string,
  nowMs = Date.now(),
  attempts = 5,
  /** The state database's files (issue 25): in the archive as the file store would hold them; they win a clash. */
  extra: readonly ArchiveFile[] = [],
): Uint8Array {
  const fromDb = new Set(extra.map((f) => f.path));
  for (let i = 0; i < attempts; i++) {
    const files = stateFiles(dataDir).filter((f) => !fromDb.has(f));
    const before = fingerprint(dataDir, files);
    const zip: Zippable = {};
    const manifest: BackupManifest = { format: FORMAT, createdAt: new Date(nowMs).toISOString(), version, files: [] };
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(join(dataDir, f)));
      manifest.files.push({
        path: f,
        bytes: bytes.length,
        sha256: sha256(bytes),
        mode: statSync(join(dataDir, f)).mode & 0o777,
      });
      zip[f] = [bytes, { mtime: new Date(nowMs) }];
    }
    if (
      stateFiles(dataDir)
        .filter((f) => !fromDb.has(f))
        .join('\n') !== files.join('\n') ||
      fingerprint(dataDir, files) !== before
    )
      continue;
    for (const f of extra) {
      manifest.files.push({ path: f.path, bytes: f.bytes.length, sha256: sha256(f.bytes), mode: f.mode });
      zip[f.path] = [f.bytes, { mtime: new Date(nowMs) }];
    }
    manifest.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    zip[BACKUP_MANIFEST] = [strToU8(JSON.stringify(manifest, null, 2)), { mtime: new Date(nowMs) }];
    return zipSync(zip, { level: 6 });
  }
  throw new BackupError(
    `the state in ${dataDir} kept changing during ${attempts} copies: try again, or stop the service for the backup`,
    'backup-unstable',
  );
}

/** Reads and checks a backup: every file in the manifest, of its size and digest, and nothing else. */
export function readBackup(zipBytes: Uint8Array): { manifest: BackupManifest; files: Map<string, Uint8Array> } {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zipBytes);
  } catch (err) {
    throw new BackupError(`not a kzmeter backup (not a readable zip: ${(err as Error).message})`, 'backup-damaged');
  }
  const raw = entries[BACKUP_MANIFEST];
  if (!raw) throw new BackupError(`not a kzmeter backup: no ${BACKUP_MANIFEST}`, 'backup-damaged');
  let parsed: z.ZodSafeParseResult<BackupManifest>;
  try {
    parsed = manifestSchema.safeParse(JSON.parse(strFromU8(raw)));
  } catch {
    throw new BackupError(`${BACKUP_MANIFEST} is not JSON: the backup is damaged`, 'backup-damaged');
  }
  if (!parsed.success)
    throw new BackupError(`${BACKUP_MANIFEST} is not a manifest of format ${FORMAT}`, 'backup-damaged');
  const manifest = parsed.data;
  const files = new Map<string, Uint8Array>();
  for (const f of manifest.files) {
    const b = entries[f.path];
    if (!b || b.length !== f.bytes || sha256(b) !== f.sha256)
      throw new BackupError(
        `${f.path} in the backup does not match its manifest: the backup is damaged`,
        'backup-damaged',
      );
    if (f.path.split('/').some((p) => p === '..' || p === '') || f.path.startsWith('/'))
      throw new BackupError(`${f.path}: a path outside the data dir`, 'backup-damaged');
    files.set(f.path, b);
  }
  const extra = Object.keys(entries).filter((k) => k !== BACKUP_MANIFEST && !files.has(k));
  if (extra.length) throw new BackupError(`${extra[0]} is in the backup but not in its manifest`, 'backup-damaged');
  return { manifest, files };
}

/**
 * Writes a checked backup into an empty (or missing) data dir: folders 0700, each file with its mode. `skip`: the
 * files a state database takes instead (src/state/pg/pg-archive.ts), left for the caller to load.
 */
export function restoreState(
  zipBytes: Uint8Array,
  dataDir: string,
  skip: (path: string) => boolean = () => false,
): BackupManifest {
  const { manifest, files } = readBackup(zipBytes);
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    throw new BackupError(
      `${dataDir} is not empty: restore goes into an empty data dir (or a new KZM_DATA_DIR) only`,
      'restore-not-empty',
    );
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (const f of manifest.files) {
    if (skip(f.path)) continue;
    const target = join(dataDir, ...f.path.split('/'));
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, files.get(f.path)!, { mode: f.mode });
  }
  return manifest;
}
