import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditLog, verifyAuditLog } from '../../../src/auth/audit-log.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function logWith(n: number): string {
  dir = mkdtempSync(join(tmpdir(), 'kzm-audit-'));
  const file = join(dir, 'audit', 'audit.log');
  const log = createAuditLog(file);
  for (let i = 0; i < n; i++)
    log.append({ who: `u${i}`, action: 'close', what: { period: `2025-Q${(i % 4) + 1}` }, digest: `d${i}` });
  return file;
}

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');

describe('the hash-chained audit log', () => {
  it('appends numbered, chained lines; an untouched log verifies', () => {
    const file = logWith(5);
    const entries = lines(file).map((l) => JSON.parse(l) as { seq: number; prev: string; hash: string });
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[3]!.prev).toBe(entries[2]!.hash);
    expect(verifyAuditLog(file)).toEqual({
      ok: true,
      entries: 5,
      legacy: 0,
      lastHash: entries[4]!.hash,
      hashes: entries.map((e) => e.hash),
    });
  });

  it.each([
    {
      name: 'a changed field',
      edit: (ls: string[]) => ((ls[2] = ls[2]!.replace('"who":"u2"', '"who":"mallory"')), ls),
      line: 3,
    },
    { name: 'a removed line', edit: (ls: string[]) => (ls.splice(1, 1), ls), line: 2 },
    { name: 'two lines swapped', edit: (ls: string[]) => [ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)], line: 2 },
    {
      name: 'a line rewritten with a recomputed own hash',
      edit: (ls: string[]) => {
        const e = JSON.parse(ls[0]!) as Record<string, unknown>;
        e.digest = 'forged';
        ls[0] = JSON.stringify(e);
        return ls;
      },
      line: 1,
    },
  ])('detects $name, naming the line', ({ edit, line }) => {
    const file = logWith(4);
    writeFileSync(file, `${edit(lines(file)).join('\n')}\n`);
    const r = verifyAuditLog(file);
    expect(r.ok).toBe(false);
    expect(r.ok ? 0 : r.line).toBe(line);
  });
});
