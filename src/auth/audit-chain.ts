/**
 * The audit trail's line format and chain (issue 21 F8, issue 24), shared by every place the trail is kept (a file,
 * or PostgreSQL since issue 25): each line carries the hash of the line before and its own hash over its content and
 * that one, an HMAC-SHA256 under the key named by `kid` (legacy lines before keys: plain SHA-256). Whoever appends
 * computes the next line here from the head, so lines written by the file log and by the database verify alike.
 */
import { createHash, createHmac } from 'node:crypto';
import type { AuditKey } from './audit-keys.ts';
import type { Signer } from '../util/ed25519.ts';

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

export const AUDIT_GENESIS = '0'.repeat(64);

/** Legacy lines: SHA-256 over the content; keyed lines: HMAC-SHA256 over the content and the key id. */
export function entryHash(e: Omit<AuditEntry, 'hash'>, secret?: string): string {
  const fields = [e.seq, e.at, e.who, e.action, e.what, e.digest ?? null, e.prev];
  if (e.kid === undefined) return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
  return createHmac('sha256', Buffer.from(secret!, 'base64url'))
    .update(JSON.stringify([...fields, e.kid]))
    .digest('hex');
}

/** The line that follows `last`, keyed with `key` and signed when a signer is given. */
export function nextEntry(
  last: AuditHead,
  input: AuditInput,
  key: AuditKey,
  at: Date,
  signer: Signer | undefined,
): AuditEntry {
  const base = {
    seq: last.seq + 1,
    at: at.toISOString(),
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
  return { ...base, hash, ...(signer && { sig: signer.sign(hash) }) };
}

/** Where the trail is kept: the audit log file, or the shared PostgreSQL table (issue 25). */
export interface AuditStore {
  /** For messages: the file's path, or "PostgreSQL table kzm_audit". */
  readonly where: string;
  /** The HMAC key file (shared by every instance of one installation). */
  readonly keyFile: string;
  /** The chain's head now (seq 0 and the genesis hash for an empty trail). */
  head(): Promise<AuditHead>;
  /** Appends a line; appends from any number of processes or instances form one chain. */
  append(input: AuditInput): Promise<AuditEntry>;
  /** Start-up check: the key file is readable, or made now (a first start); throws AuditKeyError otherwise. */
  ensureKey(): Promise<void>;
  /** A new current key; old keys stay for their lines (README "Audit trail"). */
  rotateKey(): Promise<{ retired?: string; current: string }>;
  /** Every line as written (its exact JSON text), in order. */
  lines(): Promise<string[]>;
}
