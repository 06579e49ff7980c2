/**
 * Checking the audit trail (issue 21 F8): walk the chain from the first line; the first line that does not follow
 * names where it was changed. The lines come from the file or from the database (issue 25): the same check.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type AuditKeys, readAuditKeys } from './audit-keys.ts';
import { AUDIT_GENESIS, type AuditEntry, entryHash } from './audit-chain.ts';

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

/** The chain of these lines (in order) under the keys of `keyFile`. */
export function verifyAuditLines(lines: readonly string[], keyFile: string): ChainCheck {
  const keys = lines.length ? readAuditKeys(keyFile) : undefined;
  const hashes: string[] = [];
  let prev = AUDIT_GENESIS;
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

/** The lines of an audit log file (none when it does not exist). */
export function auditFileLines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text.length ? text.trimEnd().split('\n') : [];
}

/** Lines parsed (lines that do not parse are left out: the verification reports them). */
export function parseAuditLines(lines: readonly string[]): AuditEntry[] {
  return lines.flatMap((l) => {
    try {
      return l.trim() ? [JSON.parse(l) as AuditEntry] : [];
    } catch {
      return [];
    }
  });
}
