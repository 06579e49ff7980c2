/**
 * The audit trail's HMAC keys (issue 21 F8), kept apart from the log: `<dataDir>/auth/audit-keys.json` by default
 * (or `audit.keyFile` / KZM_AUDIT_KEY_FILE, e.g. on another mount), 0600 in a 0700 folder. Each keyed line names
 * the key id it was written with; a rotation adds a key and makes it current, the old ones stay so their lines
 * still verify. `legacyLines` is how many lines the log had when its first key was made: those were written
 * before keys existed and verify as unkeyed legacy lines; any unkeyed line after them is a forgery.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { KzmError } from '../util/errors.ts';

const keySchema = z.strictObject({
  /** k<n>-<random>: a key made anew after a loss never takes the id of the lost one. */
  id: z.string().regex(/^k\d{1,6}-[a-f0-9]{6}$/),
  secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url'),
  createdAt: z.string(),
  retiredAt: z.string().optional(),
});
const fileSchema = z.strictObject({
  current: z.string(),
  legacyLines: z.number().int().min(0),
  keys: z.array(keySchema).min(1),
});
export type AuditKeys = z.infer<typeof fileSchema>;
export type AuditKey = z.infer<typeof keySchema>;

export class AuditKeyError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'audit-key-invalid' });
  }
}

export const auditKeyFilePath = (dataDir: string): string => join(dataDir, 'auth', 'audit-keys.json');

/** The keys, or undefined when the file does not exist; a damaged file is an error (never silently replaced). */
export function readAuditKeys(file: string): AuditKeys | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuditKeyError(`${file}: cannot read the audit key file (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let parsed: { success: true; data: AuditKeys } | { success: false };
  try {
    parsed = fileSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = { success: false };
  }
  if (!parsed.success || !parsed.data.keys.some((k) => k.id === parsed.data.current))
    throw new AuditKeyError(`${file} is damaged: restore it from a backup (the audit trail's lines verify with it)`);
  return parsed.data;
}

function writeKeys(file: string, keys: AuditKeys, exclusive: boolean): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  const text = `${JSON.stringify(keys, null, 2)}\n`;
  if (exclusive) return writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

const newKey = (n: number): AuditKey => ({
  id: `k${n}-${randomBytes(3).toString('hex')}`,
  secret: randomBytes(32).toString('base64url'),
  createdAt: new Date().toISOString(),
});

/** What the key file's creation needs to know of the log. */
export interface AuditLogShape {
  /** Lines so far: all unkeyed (legacy) when the first key is made. */
  lines(): number;
  /** The log already has keyed lines: their key file was lost or moved, and a new key would hide that. */
  keyed(): boolean;
}

/** The keys, created with a first key at the first keyed append. */
export function auditKeysFor(file: string, log: AuditLogShape): AuditKeys {
  const found = readAuditKeys(file);
  if (found) return found;
  if (log.keyed())
    throw new AuditKeyError(
      `the audit trail has keyed lines but their key file ${file} does not exist: restore it from a backup, or point KZM_AUDIT_KEY_FILE at it`,
    );
  const first = newKey(1);
  const keys: AuditKeys = { current: first.id, legacyLines: log.lines(), keys: [first] };
  try {
    writeKeys(file, keys, true);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readAuditKeys(file)!;
    throw err;
  }
  return keys;
}

/** Rotation: a new current key; the old ones are kept (marked retired) so the lines they signed still verify. */
export function rotateAuditKey(file: string, log: AuditLogShape): { retired?: string; current: string } {
  const keys = readAuditKeys(file);
  if (!keys) return { current: auditKeysFor(file, log).current };
  const next = newKey(Math.max(...keys.keys.map((k) => Number(/^k(\d+)/.exec(k.id)![1]))) + 1);
  const at = new Date().toISOString();
  writeKeys(
    file,
    {
      ...keys,
      current: next.id,
      keys: [...keys.keys.map((k) => (k.id === keys.current ? { ...k, retiredAt: at } : k)), next],
    },
    false,
  );
  return { retired: keys.current, current: next.id };
}
