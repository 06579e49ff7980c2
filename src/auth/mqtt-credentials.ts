import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { formatPath } from '../util/zod-error.ts';
import type { ClientIdOwner } from './mqtt-acl.ts';
import { isSecretHash } from './secret-hash.ts';
import { KzmError } from '../util/errors.ts';

/**
 * MQTT identities (meters, gateways, read-only monitors) kept next to the registry in `credentials.yaml`:
 * only salted scrypt hashes, written by `kzmeter credentials`. The broker re-reads the file when it changes,
 * so an issued, rotated or revoked secret takes effect without a restart.
 */
export const IDENTITY_KINDS = ['meter', 'gateway', 'monitor'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" or "_", at most 64 characters');

/** An MQTT client id a device is set up with (printable ASCII, no spaces): Tasmota's DVES_5C1A2B, a Shelly's id. */
export const clientIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'printable ASCII without spaces, at most 128 characters');

export const identitySchema = z.strictObject({
  /** The MQTT username; for a meter, its registry id. */
  id,
  kind: z.enum(IDENTITY_KINDS),
  /** A gateway's meters: it may publish on their topics (and put its will on their status topic). */
  meters: z.array(id).optional(),
  hash: z.string().refine(isSecretHash, 'a hash written by "kzmeter credentials issue" (scrypt$...)'),
  /** The same secret in Mosquitto's password-file form (src/auth/mosquitto-files.ts), for external brokers. */
  mosquittoHash: z
    .string()
    .regex(/^\$7\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, "Mosquitto's $7$ form")
    .optional(),
  /** Client ids reserved to this identity before its first connect (firmware ids, see README Security). */
  clientIds: z.array(clientIdSchema).optional(),
  issuedAt: z.string(),
  revokedAt: z.string().optional(),
});
export const credentialsFileSchema = z.strictObject({ identities: z.array(identitySchema) });

export type IdentityRecord = z.infer<typeof identitySchema>;

/** A usable identity: revoked ones are left out, so they cannot authenticate. */
export interface MqttIdentity {
  readonly id: string;
  readonly kind: IdentityKind;
  readonly meters: ReadonlySet<string>;
  readonly hash: string;
}

export class CredentialsFileError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'credentials-file-invalid' });
  }
}

export function credentialsFilePath(registryDir: string, configured?: string): string {
  return configured ?? join(registryDir, 'credentials.yaml');
}

/** Read and validate the file; a missing file is an empty list. Throws CredentialsFileError naming the entry. */
export function readCredentialsFile(file: string): IdentityRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CredentialsFileError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? { identities: [] };
  } catch (err) {
    throw new CredentialsFileError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = credentialsFileSchema.safeParse(doc);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new CredentialsFileError(`${file}: ${formatPath(first.path) || 'top level'}: ${first.message}`);
  }
  const seen = new Set<string>();
  for (const r of parsed.data.identities) {
    if (seen.has(r.id)) throw new CredentialsFileError(`${file}: identity "${r.id}" appears twice`);
    seen.add(r.id);
    if (r.kind === 'gateway' && !r.meters?.length)
      throw new CredentialsFileError(`${file}: gateway "${r.id}" lists no meters`);
  }
  const declared = new Map<string, string>();
  for (const r of parsed.data.identities)
    for (const c of r.clientIds ?? []) {
      const other = declared.get(c) ?? (seen.has(c) && c !== r.id ? c : undefined);
      if (other !== undefined && other !== r.id)
        throw new CredentialsFileError(`${file}: client id "${c}" of "${r.id}" already belongs to "${other}"`);
      declared.set(c, r.id);
    }
  return parsed.data.identities;
}

/** Write atomically (temp file + rename), so the broker never reads half a file. */
export function writeCredentialsFile(file: string, records: readonly IdentityRecord[]): void {
  mkdirSync(dirname(file), { recursive: true });
  const header =
    '# MQTT identities: salted scrypt hashes only, written by "kzmeter credentials" (see README, Security).\n';
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, header + stringifyYaml({ identities: records }), { mode: 0o600 });
  renameSync(tmp, file);
}

export function toIdentities(records: readonly IdentityRecord[]): Map<string, MqttIdentity> {
  const out = new Map<string, MqttIdentity>();
  for (const r of records) {
    if (r.revokedAt) continue;
    out.set(r.id, { id: r.id, kind: r.kind, meters: new Set(r.kind === 'meter' ? [r.id] : r.meters), hash: r.hash });
  }
  return out;
}

export interface IdentityTable {
  get(id: string): MqttIdentity | undefined;
  /** Usable identities (revoked ones not counted). */
  size(): number;
  /**
   * Whom a client id is reserved to before anyone uses it: the service (its own ingest id), a registered meter
   * (its id), an identity (its id, or one it declares in `clientIds`, revoked or not). undefined: not reserved.
   */
  clientIdOwner(clientId: string): ClientIdOwner | undefined;
  /** Re-read the file when its modification time changed; true when the table changed. */
  refresh(): boolean;
}

/**
 * The identities of the file plus fixed ones given in memory (the simulator of `serve --simulate`).
 * A file that turns invalid while running keeps the last good table (and is reported by onError).
 */
export function createIdentityTable(opts: {
  file: string;
  meterIds: readonly string[];
  fixed?: readonly MqttIdentity[];
  /** Client ids of the service's own sessions (mqtt.clientId): no identity may use them. */
  serviceClientIds?: readonly string[];
  onError?: (err: Error) => void;
}): IdentityTable {
  let stamp = '';
  let table = new Map<string, MqttIdentity>();
  const meters = new Set(opts.meterIds);
  const service = new Set(opts.serviceClientIds ?? []);
  // Ids of every identity ever loaded: a revoked or removed identity's id stays its own.
  const identityIds = new Set<string>();
  let declared = new Map<string, string>();
  const stampOf = () => {
    try {
      const s = statSync(opts.file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  };
  const load = (): void => {
    const records = readCredentialsFile(opts.file);
    const nextDeclared = new Map<string, string>();
    for (const r of records)
      for (const c of r.clientIds ?? []) {
        if (meters.has(c) && !(r.kind === 'meter' ? [r.id] : (r.meters ?? [])).includes(c))
          throw new CredentialsFileError(`${opts.file}: client id "${c}" of "${r.id}" is another meter's id`);
        nextDeclared.set(c, r.id);
      }
    const next = toIdentities(records);
    for (const f of opts.fixed ?? []) next.set(f.id, f);
    for (const r of records) identityIds.add(r.id);
    for (const k of next.keys()) identityIds.add(k);
    table = next;
    declared = nextDeclared;
  };
  stamp = stampOf();
  load();
  return {
    get: (k) => table.get(k),
    size: () => table.size,
    clientIdOwner(c) {
      if (service.has(c)) return { kind: 'service' };
      if (meters.has(c)) return { kind: 'meter', meterId: c };
      if (identityIds.has(c)) return { kind: 'identity', identityId: c };
      const d = declared.get(c);
      return d === undefined ? undefined : { kind: 'identity', identityId: d };
    },
    refresh() {
      const s = stampOf();
      if (s === stamp) return false;
      stamp = s;
      try {
        load();
        return true;
      } catch (err) {
        opts.onError?.(err as Error);
        return false;
      }
    },
  };
}
