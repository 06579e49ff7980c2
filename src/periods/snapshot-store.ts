/**
 * Snapshots as files: <dataDir>/periods/<period>/v<N>.json for a close of every
 * taxpayer, <dataDir>/periods/<period>/<BIN>/v<N>.json for one taxpayer, and
 * reopen-v<N>.json beside a version that was reopened. Files are written once
 * (temp file + fsync + hard link, which refuses to replace an existing version)
 * and never changed: a version is immutable, diffable and easy to archive.
 */
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './canonical-json.ts';
import type { PeriodSnapshot } from './snapshot-types.ts';
import { KzmError } from '../util/errors.ts';

export class SnapshotStoreError extends KzmError {
  constructor(message: string, code = 'snapshot-store-failed', httpStatus = 500) {
    super(message, { code, httpStatus });
  }
}

export interface ReopenRecord {
  readonly version: number;
  readonly reopenedAt: string;
  readonly reopenedAtMs: number;
  readonly reopenedBy: string;
  readonly reason: string;
}

export interface SnapshotScope {
  readonly period: string;
  readonly taxpayer: string | null;
}

/**
 * Where closes are kept (issue 25: behind the state store, files or PostgreSQL). Async: a database answers later.
 * `write` and `writeReopen` refuse an existing version with SnapshotStoreError code 'version-exists' (409): two
 * closers, in one process or two instances, never both make one version.
 */
export interface SnapshotStore {
  versions(scope: SnapshotScope): Promise<number[]>;
  /** The stored bytes of a version (latest when omitted). */
  readBytes(scope: SnapshotScope, version?: number): Promise<string | undefined>;
  read(scope: SnapshotScope, version?: number): Promise<PeriodSnapshot | undefined>;
  reopenOf(scope: SnapshotScope, version: number): Promise<ReopenRecord | undefined>;
  write(snapshot: PeriodSnapshot): Promise<void>;
  writeReopen(scope: SnapshotScope, record: ReopenRecord): Promise<void>;
  /** The Ed25519 signature of a version's exact bytes (issue 24), beside it as v<N>.sig.json. */
  writeSignature(scope: SnapshotScope, version: number, sig: { keyId: string; signature: string }): Promise<void>;
  /** The stored signature document of a version (its exact bytes), when there is one. */
  readSignature(scope: SnapshotScope, version: number): Promise<string | undefined>;
  scopes(): Promise<SnapshotScope[]>;
}

/** The bytes of a signature document beside a version (v<N>.sig.json). */
export const signatureBytes = (version: number, sig: { keyId: string; signature: string }): string =>
  `${JSON.stringify({ algorithm: 'Ed25519', of: `v${version}.json`, keyId: sig.keyId, signature: sig.signature })}\n`;

/** A version exists already: the loser of a race gets this (the period service answers "already closed"). */
export const versionExists = (what: string) =>
  new SnapshotStoreError(`${what} exists already; versions are never overwritten`, 'version-exists', 409);

/** The bytes of a snapshot file and of the JSON export: canonical JSON + newline. */
export const snapshotBytes = (s: PeriodSnapshot): string => `${canonicalJson(s)}\n`;

function atomicCreate(dir: string, name: string, text: string): string {
  // Private: 0700 folders, 0600 files (issue 21: they were 0644 in 0755 folders).
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const final = join(dir, name);
  const temp = join(dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, final); // fails with EEXIST: a version is never replaced
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw versionExists(final);
    throw err;
  } finally {
    unlinkSync(temp);
  }
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
  return final;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function listDir(dir: string): { name: string; dir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((d) => ({ name: d.name, dir: d.isDirectory() }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export function createSnapshotStore(dataDir: string): SnapshotStore {
  const rootDir = join(dataDir, 'periods');
  const dirOf = (s: SnapshotScope) =>
    s.taxpayer === null ? join(rootDir, s.period) : join(rootDir, s.period, s.taxpayer);
  const versions = (s: SnapshotScope): number[] =>
    listDir(dirOf(s))
      .flatMap((e) => {
        const m = /^v(\d+)\.json$/.exec(e.name);
        return m && !e.dir ? [Number(m[1])] : [];
      })
      .sort((a, b) => a - b);
  const readBytes = (s: SnapshotScope, version?: number): string | undefined => {
    const v = version ?? versions(s).at(-1);
    return v === undefined ? undefined : readText(join(dirOf(s), `v${v}.json`));
  };
  return {
    versions: async (s) => versions(s),
    readBytes: async (s, version) => readBytes(s, version),
    async read(s, version) {
      const text = readBytes(s, version);
      return text === undefined ? undefined : (JSON.parse(text) as PeriodSnapshot);
    },
    async reopenOf(s, version) {
      const text = readText(join(dirOf(s), `reopen-v${version}.json`));
      return text === undefined ? undefined : (JSON.parse(text) as ReopenRecord);
    },
    async write(snapshot) {
      const scope = { period: snapshot.period, taxpayer: snapshot.taxpayerScope };
      atomicCreate(dirOf(scope), `v${snapshot.version}.json`, snapshotBytes(snapshot));
    },
    async writeReopen(s, record) {
      atomicCreate(dirOf(s), `reopen-v${record.version}.json`, `${canonicalJson(record)}\n`);
    },
    async writeSignature(s, version, sig) {
      atomicCreate(dirOf(s), `v${version}.sig.json`, signatureBytes(version, sig));
    },
    readSignature: async (s, version) => readText(join(dirOf(s), `v${version}.sig.json`)),
    async scopes() {
      const out: SnapshotScope[] = [];
      for (const p of listDir(rootDir)
        .filter((e) => e.dir)
        .map((e) => e.name)
        .sort()) {
        const entries = listDir(join(rootDir, p));
        if (entries.some((e) => !e.dir && /^v\d+\.json$/.test(e.name))) out.push({ period: p, taxpayer: null });
        for (const e of entries) if (e.dir && /^\d{12}$/.test(e.name)) out.push({ period: p, taxpayer: e.name });
      }
      return out;
    },
  };
}
