import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The audit trail (architecture principle 10): every close, reopen, export download, credential or user
 * change and failed login, one JSON line each in `<dataDir>/audit/audit.log`, append-only and hash-chained:
 * each line carries the hash of the line before, and its own hash over its content and that one, so an
 * edited, removed or reordered line breaks the chain (`kzmeter verify`). The service and the CLI may both
 * append: a lock file serialises them and the previous hash is read from the file, not from memory.
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
  'login-failed',
  // a use of a period snapshot refused because its content no longer matches its digest (issue 21 F6)
  'snapshot-altered',
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
  readonly hash: string;
}

const GENESIS = '0'.repeat(64);

export const auditLogPath = (dataDir: string) => join(dataDir, 'audit', 'audit.log');

function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = JSON.stringify([e.seq, e.at, e.who, e.action, e.what, e.digest ?? null, e.prev]);
  return createHash('sha256').update(body).digest('hex');
}

function lastEntry(file: string): { seq: number; hash: string } {
  if (!existsSync(file) || statSync(file).size === 0) return { seq: 0, hash: GENESIS };
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const last = JSON.parse(lines.at(-1)!) as AuditEntry;
  return { seq: last.seq, hash: last.hash };
}

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

export function createAuditLog(file: string, now: () => Date = () => new Date()) {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return {
    file,
    append(input: AuditInput): AuditEntry {
      return withLock(file, () => {
        const last = lastEntry(file);
        const base = {
          seq: last.seq + 1,
          at: now().toISOString(),
          who: input.who,
          action: input.action,
          what: input.what,
          ...(input.digest !== undefined && { digest: input.digest }),
          prev: last.hash,
        };
        const entry: AuditEntry = { ...base, hash: entryHash(base) };
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
  | { readonly ok: true; readonly entries: number; readonly lastHash: string }
  | { readonly ok: false; readonly line: number; readonly reason: string };

/** Walk the chain from the first line: the first line that does not follow names where it was changed. */
export function verifyAuditLog(file: string): ChainCheck {
  if (!existsSync(file)) return { ok: true, entries: 0, lastHash: GENESIS };
  const text = readFileSync(file, 'utf8');
  const lines = text.length ? text.trimEnd().split('\n') : [];
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    let e: AuditEntry;
    try {
      e = JSON.parse(lines[i]!) as AuditEntry;
    } catch {
      return { ok: false, line: i + 1, reason: 'not a JSON line' };
    }
    if (e.seq !== i + 1) return { ok: false, line: i + 1, reason: `sequence ${e.seq}, expected ${i + 1}` };
    if (e.prev !== prev)
      return { ok: false, line: i + 1, reason: 'does not follow the line before (prev hash differs)' };
    const { hash, ...rest } = e;
    if (entryHash(rest) !== hash) return { ok: false, line: i + 1, reason: 'content changed (hash differs)' };
    prev = hash;
  }
  return { ok: true, entries: lines.length, lastHash: prev };
}
