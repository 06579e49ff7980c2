import { createHash, createHmac } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { type AuditKeys, auditKeyFilePath, auditKeysFor, readAuditKeys, rotateAuditKey } from './audit-keys.ts';
import type { Signer } from '../util/ed25519.ts';

/**
 * The audit trail (architecture principle 10): every close, reopen, export download, credential or user
 * change and failed login, one JSON line each in `<dataDir>/audit/audit.log`, append-only and chained: each
 * line carries the hash of the line before, and its own hash over its content and that one, so an edited,
 * removed or reordered line breaks the chain (`kzmeter verify`). Since issue 21 F8 the hash is an HMAC-SHA256
 * with a key kept apart from the log (src/auth/audit-keys.ts), named by the line's `kid`: whoever can write the
 * log but not read the key cannot recompute the chain after an edit. Lines written before keys existed keep
 * their plain SHA-256 and verify as legacy. A cut tail leaves a valid chain: `verify --expect-head` and the
 * heads recorded in period snapshots find it. The service and the CLI may both append: a lock file serialises
 * them and the previous hash is read from the file, not from memory.
 */
export const AUDIT_ACTIONS = [
  'close',
  'reopen',
  'export',
  'credential-issue',
  'credential-rotate',
  'credential-revoke',
  'user-add',
  'user-remove',
  'user-token',
  'user-password',
  'user-lang',
  'login-failed',
  // a use of a period snapshot refused because its content no longer matches its digest (issue 21 F6)
  'snapshot-altered',
  // the state copied out (kzmeter backup) or put into an empty data dir (kzmeter restore) (issue 25)
  'backup',
  'restore',
  // a supplier statement imported (issue 24): the new invoice versions and the statement's SHA-256
  'invoice-import',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditInput {
  readonly who: string;
  readonly action: AuditAction;
  /** What was acted on: period, taxpayer, version, identity, ... */
  readonly what: Readonly<Record<string, unknown>>;
  /** SHA-256 of what was handed out or frozen (an export's bytes, a snapshot's digest), when there is one. */
  readonly digest?: string;
}

export interface AuditEntry extends AuditInput {
  readonly seq: number;
  readonly at: string;
  readonly prev: string;
  /** The HMAC key the line was written with; absent on legacy lines (before issue 21). */
  readonly kid?: string;
  readonly hash: string;
  /** Ed25519 signature of `hash` (its 64 hex characters) by the installation's signing key (issue 24). */
  readonly sig?: { readonly keyId: string; readonly signature: string };
}

/** The chain's head: the last line's sequence number and hash (what a snapshot records at its close). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

const GENESIS = '0'.repeat(64);

export const auditLogPath = (dataDir: string) => join(dataDir, 'audit', 'audit.log');

/** Legacy lines: SHA-256 over the content; keyed lines: HMAC-SHA256 over the content and the key id. */
function entryHash(e: Omit<AuditEntry, 'hash'>, secret?: string): string {
  const fields = [e.seq, e.at, e.who, e.action, e.what, e.digest ?? null, e.prev];
  if (e.kid === undefined) return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
  return createHmac('sha256', Buffer.from(secret!, 'base64url'))
    .update(JSON.stringify([...fields, e.kid]))
    .digest('hex');
}

/** The last line of the file, read from its end (an append costs the same however long the log is). */
function lastLine(file: string): string | undefined {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    for (let take = Math.min(size, 64 * 1024); ; take = Math.min(size, take * 4)) {
      const buf = Buffer.alloc(take);
      readSync(fd, buf, 0, take, size - take);
      const text = buf.toString('utf8').trimEnd();
      const i = text.lastIndexOf('\n');
      if (i >= 0 || take === size) return text.slice(i + 1) || undefined;
    }
  } finally {
    closeSync(fd);
  }
}

function lastEntry(file: string): AuditHead {
  if (!existsSync(file) || statSync(file).size === 0) return { seq: 0, hash: GENESIS };
  const last = JSON.parse(lastLine(file)!) as AuditEntry;
  return { seq: last.seq, hash: last.hash };
}

/** The log as the key file's creation sees it: its line count, and whether its last line is keyed. */
const shapeOf = (file: string) => ({
  lines: () =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.trim()).length
      : 0,
  keyed: () => {
    if (!existsSync(file) || statSync(file).size === 0) return false;
    try {
      return (JSON.parse(lastLine(file)!) as AuditEntry).kid !== undefined;
    } catch {
      return true; // a damaged last line: do not make a key that would hide a lost one
    }
  },
});

function withLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const until = Date.now() + 5000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // a lock older than the deadline is a crashed writer's
      if (Date.now() > until) rmSync(lock, { force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/** Where the keys of the log at `<dataDir>/audit/audit.log` live unless configured: `<dataDir>/auth/`. */
const defaultKeyFile = (file: string) => auditKeyFilePath(dirname(dirname(file)));

export function createAuditLog(
  file: string,
  opts: { keyFile?: string | undefined; now?: () => Date; signer?: Signer | undefined } = {},
) {
  const now = opts.now ?? (() => new Date());
  const keyFile = opts.keyFile ?? defaultKeyFile(file);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return {
    file,
    keyFile,
    /** The chain's head now (seq 0 and the genesis hash for an empty log). */
    head(): AuditHead {
      return lastEntry(file);
    },
    /** A new current key; old keys stay for their lines (README "Audit trail"). */
    rotateKey(): { retired?: string; current: string } {
      return withLock(file, () => rotateAuditKey(keyFile, shapeOf(file)));
    },
    /** Start-up check: the key file is readable, or made now (a first start); throws AuditKeyError otherwise. */
    ensureKey(): void {
      withLock(file, () => auditKeysFor(keyFile, shapeOf(file)));
    },
    append(input: AuditInput): AuditEntry {
      return withLock(file, () => {
        // Read at every append: a rotation by the CLI applies to the running service at once.
        const keys = auditKeysFor(keyFile, shapeOf(file));
        const key = keys.keys.find((k) => k.id === keys.current)!;
        const last = lastEntry(file);
        const base = {
          seq: last.seq + 1,
          at: now().toISOString(),
          who: input.who,
          action: input.action,
          what: input.what,
          ...(input.digest !== undefined && { digest: input.digest }),
          prev: last.hash,
          kid: key.id,
        };
        const hash = entryHash(base, key.secret);
        // The HMAC chain stays as it was; the signature over the line's hash lets anyone holding the public key
        // (an inspector with an evidence package) check the line without the HMAC key.
        const entry: AuditEntry = { ...base, hash, ...(opts.signer && { sig: opts.signer.sign(hash) }) };
        const fd = openSync(file, 'a', 0o600);
        try {
          writeSync(fd, `${JSON.stringify(entry)}\n`);
        } finally {
          closeSync(fd);
        }
        return entry;
      });
    },
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;

export type ChainCheck =
  | {
      readonly ok: true;
      readonly entries: number;
      /** Lines written before the log had a key: their plain SHA-256 chain can be recomputed by anyone. */
      readonly legacy: number;
      readonly lastHash: string;
      /** Every line's hash by sequence number (to find a head noted earlier). */
      readonly hashes: readonly string[];
    }
  | { readonly ok: false; readonly line: number; readonly reason: string };

type LineCheck = { ok: true; entry: AuditEntry } | { ok: false; reason: string };

function checkLine(text: string, i: number, prev: string, keys: AuditKeys | undefined): LineCheck {
  let e: AuditEntry;
  try {
    e = JSON.parse(text) as AuditEntry;
  } catch {
    return { ok: false, reason: 'not a JSON line' };
  }
  if (e.seq !== i + 1) return { ok: false, reason: `sequence ${e.seq}, expected ${i + 1}` };
  if (e.prev !== prev) return { ok: false, reason: 'does not follow the line before (prev hash differs)' };
  const { hash, ...rest } = e;
  if (e.kid === undefined) {
    // Unkeyed lines are legacy only before the first key was made; after it, one is a forgery.
    if (keys && i >= keys.legacyLines)
      return { ok: false, reason: `an unkeyed line after the key was made (only lines 1-${keys.legacyLines} may be)` };
    return entryHash(rest) === hash ? { ok: true, entry: e } : { ok: false, reason: 'content changed (hash differs)' };
  }
  const key = keys?.keys.find((k) => k.id === e.kid);
  if (!key) return { ok: false, reason: `written with key ${e.kid}, which the key file does not hold` };
  return entryHash(rest, key.secret) === hash
    ? { ok: true, entry: e }
    : { ok: false, reason: 'content changed (HMAC differs)' };
}

/**
 * Walk the chain from the first line: the first line that does not follow names where it was changed.
 * `keyFile` defaults to the one beside the log's data dir.
 */
export function verifyAuditLog(file: string, keyFile: string = defaultKeyFile(file)): ChainCheck {
  if (!existsSync(file)) return { ok: true, entries: 0, legacy: 0, lastHash: GENESIS, hashes: [] };
  const keys = readAuditKeys(keyFile);
  const text = readFileSync(file, 'utf8');
  const lines = text.length ? text.trimEnd().split('\n') : [];
  const hashes: string[] = [];
  let prev = GENESIS;
  let legacy = 0;
  for (let i = 0; i < lines.length; i++) {
    const r = checkLine(lines[i]!, i, prev, keys);
    if (!r.ok) return { ok: false, line: i + 1, reason: r.reason };
    if (r.entry.kid === undefined) legacy++;
    prev = r.entry.hash;
    hashes.push(prev);
  }
  return { ok: true, entries: lines.length, legacy, lastHash: prev, hashes };
}

/** The lines of the log, parsed (lines that do not parse are left out: verifyAuditLog reports them). */
export function auditEntries(file: string): AuditEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return l.trim() ? [JSON.parse(l) as AuditEntry] : [];
      } catch {
        return [];
      }
    });
}
