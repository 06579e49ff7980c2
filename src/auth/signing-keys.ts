/**
 * The installation's Ed25519 signing keys (issue 24): generated at the first start into their own file,
 * `<dataDir>/auth/signing-keys.json` (0600 in a 0700 folder, outside the snapshot and seal folders; or
 * `signing.keyFile`), or supplied by the operator as a PEM file or secret (`signing.privateKeyFile`, e.g. a
 * mounted secret): then that key signs and only its public key is recorded in the key file. A rotation adds a
 * key and makes it current; the old keys stay (private part dropped) so what they signed still verifies.
 * Every signature names its key id: the fingerprint (SHA-256 of the raw public key, hex).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { fingerprintOf, rawPublicKey, signEd25519, type Signer } from '../util/ed25519.ts';
import { KzmError } from '../util/errors.ts';

const keySchema = z.strictObject({
  /** Fingerprint: SHA-256 of the raw public key, hex. */
  id: z.string().regex(/^[a-f0-9]{64}$/),
  /** Raw 32-byte public key, base64. */
  publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
  /** PKCS#8 PEM; absent for a retired key or one supplied from outside. */
  privateKey: z.string().optional(),
  createdAt: z.string(),
  retiredAt: z.string().optional(),
});
const fileSchema = z.strictObject({ current: z.string(), keys: z.array(keySchema).min(1) });
export type SigningKeys = z.infer<typeof fileSchema>;

/** The public side of a key, as GET /api/signing-key and the evidence package give it. */
export interface PublicSigningKey {
  readonly keyId: string;
  readonly publicKey: string;
  readonly pem: string;
  readonly createdAt: string;
  readonly retiredAt?: string;
  readonly current: boolean;
}

export class SigningKeyError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'signing-key-invalid' });
  }
}

export const signingKeyFilePath = (dataDir: string): string => join(dataDir, 'auth', 'signing-keys.json');

export interface SigningKeyOptions {
  readonly keyFile: string;
  readonly privateKeyFile?: string;
}

function readKeys(file: string): SigningKeys | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SigningKeyError(`${file}: cannot read the signing key file (${(err as NodeJS.ErrnoException).code})`);
  }
  let parsed: ReturnType<typeof fileSchema.safeParse> | undefined;
  try {
    parsed = fileSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success || !parsed.data.keys.some((k) => k.id === parsed.data.current))
    throw new SigningKeyError(`${file} is damaged: restore it from a backup (seals and snapshots verify with it)`);
  return parsed.data;
}

function writeKeys(file: string, keys: SigningKeys): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

const entryOf = (priv: KeyObject, keepPrivate: boolean) => {
  const raw = rawPublicKey(createPublicKey(priv));
  return {
    id: fingerprintOf(raw),
    publicKey: raw.toString('base64'),
    ...(keepPrivate && { privateKey: priv.export({ format: 'pem', type: 'pkcs8' }).toString() }),
    createdAt: new Date().toISOString(),
  };
};

function suppliedKey(file: string): KeyObject {
  try {
    const key = createPrivateKey(readFileSync(file));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType} key`);
    return key;
  } catch (err) {
    throw new SigningKeyError(
      `signing.privateKeyFile ${file}: not an Ed25519 private key in PEM (${(err as Error).message})`,
    );
  }
}

/** The keys, made (or the supplied key recorded) when missing. */
export function loadSigningKeys(opts: SigningKeyOptions): SigningKeys {
  const found = readKeys(opts.keyFile);
  if (opts.privateKeyFile) {
    const e = entryOf(suppliedKey(opts.privateKeyFile), false);
    if (found?.current === e.id) return found;
    const at = new Date().toISOString();
    const keys = [...(found?.keys ?? []).filter((k) => k.id !== e.id).map((k) => retire(k, at)), e];
    writeKeys(opts.keyFile, { current: e.id, keys });
    return { current: e.id, keys };
  }
  if (found) return found;
  const first = entryOf(generateKeyPairSync('ed25519').privateKey, true);
  const keys = { current: first.id, keys: [first] };
  writeKeys(opts.keyFile, keys);
  return keys;
}

const retire = (k: SigningKeys['keys'][number], at: string) => {
  const { privateKey: _drop, ...rest } = k;
  return { ...rest, retiredAt: k.retiredAt ?? at };
};

/** A new current key; the old ones keep only their public part. Refused while the key is supplied from outside. */
export function rotateSigningKey(opts: SigningKeyOptions): { current: string; retired: string } {
  if (opts.privateKeyFile)
    throw new SigningKeyError('the signing key is supplied by signing.privateKeyFile: rotate it there and restart');
  const keys = loadSigningKeys(opts);
  const next = entryOf(generateKeyPairSync('ed25519').privateKey, true);
  const at = new Date().toISOString();
  writeKeys(opts.keyFile, {
    current: next.id,
    keys: [...keys.keys.map((k) => (k.id === keys.current ? retire(k, at) : k)), next],
  });
  return { current: next.id, retired: keys.current };
}

export function publicSigningKeys(keys: SigningKeys): PublicSigningKey[] {
  return keys.keys.map((k) => ({
    keyId: k.id,
    publicKey: k.publicKey,
    pem: createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(k.publicKey, 'base64').toString('base64url') },
      format: 'jwk',
    })
      .export({ format: 'pem', type: 'spki' })
      .toString(),
    createdAt: k.createdAt,
    ...(k.retiredAt && { retiredAt: k.retiredAt }),
    current: k.id === keys.current,
  }));
}

/** The signer of the current key. */
export function signerOf(opts: SigningKeyOptions): Signer {
  const keys = loadSigningKeys(opts);
  const priv = opts.privateKeyFile
    ? suppliedKey(opts.privateKeyFile)
    : createPrivateKey(keys.keys.find((k) => k.id === keys.current)!.privateKey ?? '');
  const keyId = keys.current;
  return { keyId, sign: (data) => ({ keyId, signature: signEd25519(priv, data) }) };
}

/** Every key's public side (made at the first call when there is none yet). */
export const listSigningKeys = (opts: SigningKeyOptions): PublicSigningKey[] =>
  publicSigningKeys(loadSigningKeys(opts));

/** Where the keys are, from the configuration (signing.keyFile, signing.privateKeyFile). */
export const signingKeyOptions = (config: {
  readonly dataDir: string;
  readonly signing: { readonly keyFile?: string | undefined; readonly privateKeyFile?: string | undefined };
}): SigningKeyOptions => ({
  keyFile: config.signing.keyFile ?? signingKeyFilePath(config.dataDir),
  ...(config.signing.privateKeyFile && { privateKeyFile: config.signing.privateKeyFile }),
});
