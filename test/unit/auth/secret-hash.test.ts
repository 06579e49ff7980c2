import { describe, expect, it } from 'vitest';
import { generateSecret, hashSecret, isSecretHash, verifySecret } from '../../../src/auth/secret-hash.ts';

describe('salted scrypt hashes', () => {
  it('verifies the secret, refuses another, salts each hash, never contains the secret', async () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [a, b] = await Promise.all([hashSecret(secret), hashSecret(secret)]);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    expect(isSecretHash(a)).toBe(true);
    expect(await verifySecret(secret, a)).toBe(true);
    expect(await verifySecret(secret, b)).toBe(true);
    expect(await verifySecret(`${secret}x`, a)).toBe(false);
    expect(await verifySecret('', a)).toBe(false);
  });

  it.each(['', 'plain-text-password', 'scrypt$10$8$1$c2FsdA$', 'scrypt$99$8$1$c2FsdA$aGFzaA', 'bcrypt$10$8$1$a$b'])(
    'a malformed hash %j is not a hash and never verifies',
    async (h) => {
      expect(isSecretHash(h)).toBe(false);
      expect(await verifySecret('anything', h)).toBe(false);
    },
  );
});
