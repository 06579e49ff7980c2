import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCredentialsFile } from '../../../src/auth/mqtt-credentials.ts';
import { verifySecret } from '../../../src/auth/secret-hash.ts';
import { credentialsMain } from '../../../src/cli/credentials.ts';

const dir = mkdtempSync(join(tmpdir(), 'kzm-cred-cli-'));
const file = join(dir, 'credentials.yaml');
process.env.KZM_REGISTRY_DIR = join(import.meta.dirname, '../../../devices');
process.env.KZM_MQTT_CREDENTIALS_FILE = file;
process.env.KZM_DATA_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await credentialsMain(argv, (s) => lines.push(s));
  return { code, out: lines.join('\n') };
}

describe('kzmeter credentials', () => {
  it('issue prints the secret once and stores only its salted hash', async () => {
    const r = await run('issue', 'ekb-1-m01');
    expect(r.code).toBe(0);
    const secret = /password: (\S+)/.exec(r.out)![1]!;
    expect(readFileSync(file, 'utf8')).not.toContain(secret);
    const [rec] = readCredentialsFile(file);
    expect(rec).toMatchObject({ id: 'ekb-1-m01', kind: 'meter' });
    expect(await verifySecret(secret, rec!.hash)).toBe(true);
    expect((await run('list')).out).not.toContain(rec!.hash);
  });

  it('refuses a second issue, an unknown meter and a gateway without meters, each with its reason', async () => {
    await expect(run('issue', 'ekb-1-m01')).rejects.toThrow(/use "rotate"/);
    await expect(run('issue', 'no-such-meter')).rejects.toThrow(/not a meter of the registry/);
    await expect(run('issue', 'gw-1', '--kind', 'gateway')).rejects.toThrow(/needs --meters/);
    await expect(run('issue', 'gw-1', '--kind', 'gateway', '--meters', 'ekb-1-m02,nope')).rejects.toThrow(/nope/);
  });

  it('rotate replaces the hash (the old secret stops verifying); revoke marks the identity', async () => {
    const before = readCredentialsFile(file)[0]!.hash;
    const r = JSON.parse((await run('rotate', 'ekb-1-m01', '--json')).out) as { password: string };
    const after = readCredentialsFile(file)[0]!;
    expect(after.hash).not.toBe(before);
    expect(await verifySecret(r.password, after.hash)).toBe(true);
    expect((await run('revoke', 'ekb-1-m01')).code).toBe(0);
    expect(readCredentialsFile(file)[0]!.revokedAt).toBeDefined();
    await expect(run('revoke', 'ekb-1-m01')).rejects.toThrow(/no active identity/);
  });
});
