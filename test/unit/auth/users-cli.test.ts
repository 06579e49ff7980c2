import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readUsers, usersFilePath } from '../../../src/auth/users.ts';
import { usersMain } from '../../../src/cli/users.ts';

const dir = mkdtempSync(join(tmpdir(), 'kzm-users-cli-'));
process.env.KZM_DATA_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<string> {
  const out: string[] = [];
  await usersMain(argv, (s) => out.push(s));
  return out.join('\n');
}

describe('kzmeter users', () => {
  it('add prints a token once, stores its hash and the taxpayer; bad role or BIN refused; remove', async () => {
    const out = await run('add', 'dala-acc', '--role', 'accountant', '--taxpayer', '940140000385');
    const token = /(kzm_\S+)/.exec(out)![1]!;
    expect(readFileSync(usersFilePath(dir), 'utf8')).not.toContain(token.slice(17));
    expect(readUsers(usersFilePath(dir))[0]).toMatchObject({
      name: 'dala-acc',
      role: 'accountant',
      taxpayer: '940140000385',
    });
    await expect(run('add', 'x', '--role', 'boss')).rejects.toThrow(/--role must be one of/);
    await expect(run('add', 'y', '--role', 'viewer', '--taxpayer', '123456789012')).rejects.toThrow(/invalid BIN/);
    await expect(run('add', 'dala-acc', '--role', 'viewer')).rejects.toThrow(/exists already/);
    expect(await run('list')).toMatch(/dala-acc\taccountant\ttaxpayer 940140000385/);
    await run('remove', 'dala-acc');
    expect(readUsers(usersFilePath(dir))).toEqual([]);
  });
});
