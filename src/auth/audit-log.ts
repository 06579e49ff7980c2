import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { auditKeyFilePath, auditKeysFor, rotateAuditKey } from './audit-keys.ts';
import { AUDIT_GENESIS, type AuditEntry, type AuditHead, type AuditStore, nextEntry } from './audit-chain.ts';
import { auditFileLines, parseAuditLines, verifyAuditLines, type ChainCheck } from './audit-verify.ts';
import type { Signer } from '../util/ed25519.ts';

export * from './audit-chain.ts';
export type { ChainCheck } from './audit-verify.ts';

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
export const auditLogPath = (dataDir: string) => join(dataDir, 'audit', 'audit.log');

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
  if (!existsSync(file) || statSync(file).size === 0) return { seq: 0, hash: AUDIT_GENESIS };
  const last = JSON.parse(lastLine(file)!) as AuditEntry;
  return { seq: last.seq, hash: last.hash };
}

/** The log as the key file's creation sees it: its line count, and whether its last line is keyed. */
const shapeOf = (file: string) => ({
  lines: () => auditFileLines(file).filter((l) => l.trim()).length,
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
): AuditStore & { readonly file: string } {
  const now = opts.now ?? (() => new Date());
  const keyFile = opts.keyFile ?? defaultKeyFile(file);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return {
    file,
    where: file,
    keyFile,
    head: async () => lastEntry(file),
    rotateKey: async () => withLock(file, () => rotateAuditKey(keyFile, shapeOf(file))),
    ensureKey: async () => void withLock(file, () => auditKeysFor(keyFile, shapeOf(file))),
    lines: async () => auditFileLines(file),
    async append(input) {
      return withLock(file, () => {
        // Read at every append: a rotation by the CLI applies to the running service at once.
        const keys = auditKeysFor(keyFile, shapeOf(file));
        const key = keys.keys.find((k) => k.id === keys.current)!;
        const entry = nextEntry(lastEntry(file), input, key, now(), opts.signer);
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
export type AuditLog = AuditStore;

/**
 * Walk the chain from the first line: the first line that does not follow names where it was changed.
 * `keyFile` defaults to the one beside the log's data dir.
 */
export function verifyAuditLog(file: string, keyFile: string = defaultKeyFile(file)): ChainCheck {
  if (!existsSync(file)) return { ok: true, entries: 0, legacy: 0, lastHash: AUDIT_GENESIS, hashes: [] };
  return verifyAuditLines(auditFileLines(file), keyFile);
}

/** The lines of the log, parsed (lines that do not parse are left out: verifyAuditLog reports them). */
export const auditEntries = (file: string): AuditEntry[] => parseAuditLines(auditFileLines(file));
