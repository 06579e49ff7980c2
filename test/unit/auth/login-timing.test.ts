import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/auth/principal.ts';
import { PASSWORD_COST, verifySecret } from '../../../src/auth/secret-hash.ts';
import { createSessions } from '../../../src/auth/sessions.ts';
import { addUser, createUserStore, usersFilePath } from '../../../src/auth/users.ts';

/**
 * Issue 21: unknown users were refused in 1-2 ms, users with a password in 103-108 ms (user enumeration by
 * timing). Every refusal now costs one password-cost scrypt (N=2^15), whatever the name: counted here on the real
 * scrypt (no timing assertion; the figures are in the report).
 */
describe('login refusals cost the same whoever is named', () => {
  let dir: string;
  let auth: ReturnType<typeof createAuthenticator>;
  const costs: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-login-timing-'));
    const file = usersFilePath(dir);
    await addUser(file, { name: 'anna', role: 'viewer', password: 'correct horse battery staple' });
    await addUser(file, { name: 'tokenonly', role: 'admin' });
    const verify = (secret: string, stored: string) => {
      costs.push(Number(stored.split('$')[1]));
      return verifySecret(secret, stored);
    };
    auth = createAuthenticator(createUserStore(file), createSessions(), { verify });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    { name: 'an unknown user (was: no hash at all, 1-2 ms)', user: 'nobody', secret: 'whatever password' },
    { name: 'a user with a password, wrong password', user: 'anna', secret: 'wrong password' },
    { name: 'a token-only user, a non-token password', user: 'tokenonly', secret: 'whatever password' },
    { name: 'a token-only user, a wrong token', user: 'tokenonly', secret: `kzm_000000000000_${'a'.repeat(43)}` },
  ])('$name: refused after one password-cost scrypt', async ({ user, secret }) => {
    costs.length = 0;
    expect(await auth.checkLogin(user, secret)).toBeUndefined();
    expect(costs.filter((c) => c === PASSWORD_COST.logN)).toHaveLength(1);
  });
});
