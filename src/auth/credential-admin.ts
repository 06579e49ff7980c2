import { mosquittoHash } from './mosquitto-files.ts';
import { generateSecret, hashSecret } from './secret-hash.ts';
import {
  clientIdSchema,
  readCredentialsFile,
  writeCredentialsFile,
  type IdentityKind,
  type IdentityRecord,
} from './mqtt-credentials.ts';
import { KzmError } from '../util/errors.ts';

export class CredentialAdminError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'credential-refused' });
  }
}

export type CredentialAction = 'issue' | 'rotate' | 'revoke';

export interface CredentialChange {
  readonly action: CredentialAction;
  readonly id: string;
  readonly kind: IdentityKind;
  /** The new secret (issue, rotate): shown once, never stored. */
  readonly secret?: string;
}

/**
 * Issue, rotate or revoke an MQTT identity in the credentials file. Meters and a gateway's meters must be in
 * the registry (`meterIds`). The secret is returned once; only its salted hash is written.
 */
export async function changeCredential(opts: {
  file: string;
  action: CredentialAction;
  id: string;
  kind?: IdentityKind;
  meters?: readonly string[];
  /** Client ids reserved to the identity before its first connect (issue, rotate: replaces the list). */
  clientIds?: readonly string[];
  meterIds: ReadonlySet<string>;
  now?: Date;
}): Promise<CredentialChange> {
  const records = readCredentialsFile(opts.file);
  if (opts.clientIds) checkClientIds(opts.id, opts.clientIds, records, opts.meterIds);
  const at = (opts.now ?? new Date()).toISOString();
  const i = records.findIndex((r) => r.id === opts.id);
  const existing = i >= 0 ? records[i] : undefined;
  if (opts.action === 'revoke') {
    if (!existing || existing.revokedAt) throw new CredentialAdminError(`no active identity "${opts.id}" to revoke`);
    records[i] = { ...existing, revokedAt: at };
    writeCredentialsFile(opts.file, records);
    return { action: 'revoke', id: opts.id, kind: existing.kind };
  }
  const secret = generateSecret();
  const hash = await hashSecret(secret);
  const mosq = await mosquittoHash(secret);
  if (opts.action === 'rotate') {
    if (!existing) throw new CredentialAdminError(`no identity "${opts.id}" to rotate (issue it first)`);
    const { revokedAt: _drop, ...rest } = existing;
    void _drop;
    records[i] = { ...rest, hash, mosquittoHash: mosq, issuedAt: at, ...withClientIds(opts.clientIds) };
    writeCredentialsFile(opts.file, records);
    return { action: 'rotate', id: opts.id, kind: existing.kind, secret };
  }
  if (existing && !existing.revokedAt)
    throw new CredentialAdminError(`identity "${opts.id}" already has a secret: use "rotate" to replace it`);
  const record = {
    ...newRecord(opts.id, opts.kind ?? 'meter', opts.meters, opts.meterIds, hash, at),
    mosquittoHash: mosq,
    ...withClientIds(opts.clientIds),
  };
  if (i >= 0) records[i] = record;
  else records.push(record);
  writeCredentialsFile(opts.file, records);
  return { action: 'issue', id: opts.id, kind: record.kind, secret };
}

const withClientIds = (ids: readonly string[] | undefined) => (ids?.length ? { clientIds: [...new Set(ids)] } : {});

/** Declared client ids: well-formed, and no other identity's or meter's (the file's own check says the same). */
function checkClientIds(
  id: string,
  ids: readonly string[],
  records: readonly IdentityRecord[],
  meterIds: ReadonlySet<string>,
): void {
  for (const c of ids) {
    if (!clientIdSchema.safeParse(c).success)
      throw new CredentialAdminError(`client id "${c}": printable ASCII without spaces, at most 128 characters`);
    const other = records.find((r) => r.id !== id && (r.id === c || r.clientIds?.includes(c)));
    if (other) throw new CredentialAdminError(`client id "${c}" already belongs to "${other.id}"`);
    const own = records.find((r) => r.id === id);
    if (meterIds.has(c) && c !== id && !own?.meters?.includes(c))
      throw new CredentialAdminError(`client id "${c}" is another meter's id`);
  }
}

function newRecord(
  id: string,
  kind: IdentityKind,
  meters: readonly string[] | undefined,
  meterIds: ReadonlySet<string>,
  hash: string,
  issuedAt: string,
): IdentityRecord {
  if (kind === 'meter') {
    if (!meterIds.has(id)) throw new CredentialAdminError(`"${id}" is not a meter of the registry`);
    if (meters?.length) throw new CredentialAdminError('--meters is for gateways; a meter publishes only for itself');
    return { id, kind, hash, issuedAt };
  }
  if (kind === 'gateway') {
    if (!meters?.length) throw new CredentialAdminError('a gateway needs --meters: the meters it publishes for');
    const unknown = meters.filter((m) => !meterIds.has(m));
    if (unknown.length) throw new CredentialAdminError(`not meters of the registry: ${unknown.join(', ')}`);
    if (meterIds.has(id)) throw new CredentialAdminError(`"${id}" is a meter id; give the gateway its own id`);
    return { id, kind, meters: [...new Set(meters)], hash, issuedAt };
  }
  if (meters?.length) throw new CredentialAdminError('a monitor reads every topic and publishes none: no --meters');
  return { id, kind, hash, issuedAt };
}

export function listCredentials(file: string): Omit<IdentityRecord, 'hash' | 'mosquittoHash'>[] {
  return readCredentialsFile(file).map(({ hash: _h, mosquittoHash: _m, ...rest }) => {
    void _h;
    void _m;
    return rest;
  });
}
