/**
 * Ed25519 signatures with node:crypto only (issue 24): what signs seals, snapshots, exports and audit lines, and
 * what an offline verifier needs (a raw public key in base64, no key file, no service). A key's id is its
 * fingerprint: the SHA-256 of its 32 raw public-key bytes, in lowercase hex.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' }) as { x?: string };
  return Buffer.from(jwk.x ?? '', 'base64url');
}

/** A key's id: SHA-256 of its raw public key, hex. */
export const fingerprintOf = (raw: Uint8Array): string => createHash('sha256').update(raw).digest('hex');

/** A public key from its raw bytes (base64). */
export const publicKeyFromRaw = (rawB64: string): KeyObject =>
  createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(rawB64, 'base64').toString('base64url') },
    format: 'jwk',
  });

/** The signature of `data` (base64, 64 bytes). */
export const signEd25519 = (privateKey: KeyObject, data: Uint8Array | string): string =>
  sign(null, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, privateKey).toString('base64');

/** True when `signatureB64` is a signature of `data` by the raw public key `publicKeyB64`; false for any bad input. */
export function verifyEd25519(publicKeyB64: string, data: Uint8Array | string, signatureB64: string): boolean {
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return verify(null, bytes, publicKeyFromRaw(publicKeyB64), Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** A signature with the id of the key that made it. */
export interface Signature {
  readonly keyId: string;
  readonly signature: string;
}

/** What signs: the current key (seals, snapshots, exports, audit lines take it as a dependency). */
export interface Signer {
  readonly keyId: string;
  sign(data: Uint8Array | string): Signature;
}
