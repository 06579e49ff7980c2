import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Salted scrypt hashes, stored as `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url>` so the cost travels
 * with the hash and can be raised later without breaking stored ones.
 *
 * Two costs: machine secrets are generated here (256 random bits), so guessing them is hopeless whatever the
 * hash cost and a cheap scrypt (N=2^10, ~5 ms) keeps 1,000 meters reconnecting at once within seconds;
 * people's passwords are chosen by people, so they get the interactive-login cost (N=2^15).
 */
export const MACHINE_COST = { logN: 10, r: 8, p: 1 } as const;
export const PASSWORD_COST = { logN: 15, r: 8, p: 1 } as const;
export type HashCost = { readonly logN: number; readonly r: number; readonly p: number };

const KEY_LEN = 32;
const PREFIX = 'scrypt';
const B64 = /^[A-Za-z0-9_-]+$/;

function derive(secret: string, salt: Buffer, cost: HashCost): Promise<Buffer> {
  const N = 2 ** cost.logN;
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LEN, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** A fresh random secret: 32 bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashSecret(secret: string, cost: HashCost = MACHINE_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, cost);
  return [PREFIX, cost.logN, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether a stored hash string has the form hashSecret writes (checked when a credentials file is read). */
export function isSecretHash(s: string): boolean {
  return parseHash(s) !== undefined;
}

function parseHash(s: string): { cost: HashCost; salt: Buffer; key: Buffer } | undefined {
  const parts = s.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![logN, r, p].every(Number.isInteger) || logN < 1 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16)
    return undefined;
  if (!B64.test(parts[4]!) || !B64.test(parts[5]!)) return undefined;
  return { cost: { logN, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), key: Buffer.from(parts[5]!, 'base64url') };
}

/** Constant-time comparison of `secret` against a stored hash; a malformed hash never verifies. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const h = parseHash(stored);
  if (!h || h.key.length !== KEY_LEN) return false;
  const key = await derive(secret, h.salt, h.cost);
  return timingSafeEqual(key, h.key);
}
