import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditKeyFilePath } from '../../src/auth/audit-keys.ts';
import { auditLogPath, createAuditLog, type AuditEntry } from '../../src/auth/audit-log.ts';
import { addUser, usersFilePath } from '../../src/auth/users.ts';
import { auditKeyMain, auditVerifyMain } from '../../src/cli/audit.ts';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';

/**
 * Issue 21 F8: deleting line 18 of audit/audit.log and recomputing the SHA-256 chain (10 lines of Python), or
 * cutting the last 2 lines, left `kzmeter verify` saying "chain intact", exit 0, with nothing to check a head noted
 * earlier against. Now the chain is an HMAC with a key kept apart from the log (<dataDir>/auth/audit-keys.json),
 * `verify --expect-head` finds a cut tail, and each snapshot records the head at its close.
 */
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const fields = (e: Omit<AuditEntry, 'hash' | 'action'> & { action: string }) => [
  e.seq,
  e.at,
  e.who,
  e.action,
  e.what,
  e.digest ?? null,
  e.prev,
];

/** The forgery: drop a line, renumber, recompute every hash with SHA-256 (who has no key can do no more). */
function forge(lines: string[], drop: number, keepKid: boolean): string[] {
  let prev = '0'.repeat(64);
  return lines
    .filter((_, i) => i !== drop - 1)
    .map((l, i) => {
      const { hash: _h, kid, ...e } = JSON.parse(l) as AuditEntry;
      const next = { ...e, seq: i + 1, prev, ...(keepKid && kid && { kid }) };
      const hash = sha256(JSON.stringify(keepKid && kid ? [...fields(next), kid] : fields(next)));
      prev = hash;
      return JSON.stringify({ ...next, hash });
    });
}

async function verify(dataDir: string, args: string[] = []) {
  const out: string[] = [];
  const saved = process.env.KZM_DATA_DIR;
  process.env.KZM_DATA_DIR = dataDir;
  try {
    const code = await auditVerifyMain(args, (s) => out.push(s));
    return { code, out: out.join('\n') };
  } finally {
    if (saved === undefined) delete process.env.KZM_DATA_DIR;
    else process.env.KZM_DATA_DIR = saved;
  }
}

const read = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');
const write = (file: string, lines: string[]) => writeFileSync(file, `${lines.join('\n')}\n`);

const influx = useInflux();

describe('F8: the audit trail cannot be rewritten quietly', () => {
  let dataDir: string;
  let svc: Awaited<ReturnType<typeof startService>>;
  let token: string;
  let file: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-audit-keyed-'));
    token = (await addUser(usersFilePath(dataDir), { name: 'anna', role: 'accountant' })).token;
    svc = await startService(await influx.database(), { dataDir, http: { allowAnonymous: false } });
    file = auditLogPath(dataDir);
    // 20 lines through the real log module, then a close and a download through the service
    const log = createAuditLog(file);
    for (let i = 0; i < 20; i++) log.append({ who: `u${i}`, action: 'user-token', what: { name: `u${i}` } });
  });
  afterAll(async () => {
    await svc?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${svc.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  it('the key lives in its own 0600 file outside the audit folder; every line names it', () => {
    const keyFile = auditKeyFilePath(dataDir);
    expect(dirname(keyFile)).not.toBe(dirname(file));
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = JSON.parse(readFileSync(keyFile, 'utf8')) as { current: string; keys: { secret: string }[] };
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(key.keys[0]!.secret);
    for (const l of read(file)) expect((JSON.parse(l) as AuditEntry).kid).toBe(key.current);
  });

  it('a close records the audit head at its close (the line before its own close line)', async () => {
    const res = await call('POST', '/api/periods/2025-Q2/close', { acknowledgement: 'test: no readings' });
    expect(res.status).toBe(201);
    const snap = ((await res.json()) as { snapshot: { auditHead: { seq: number; hash: string }; digest: string } })
      .snapshot;
    const entries = read(file).map((l) => JSON.parse(l) as AuditEntry);
    const close = entries.find((e) => e.action === 'close')!;
    expect(close.digest).toBe(snap.digest);
    expect(snap.auditHead).toEqual({ seq: close.seq - 1, hash: entries[close.seq - 2]!.hash });
    expect((await call('GET', '/api/periods/2025-Q2/export.csv')).status).toBe(200);
    const ok = await verify(dataDir);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/chain intact/);
  });

  it.each([
    { name: 'keeping the key ids', keepKid: true, reason: /HMAC differs/ },
    { name: 'as unkeyed lines', keepKid: false, reason: /unkeyed line after the key/ },
  ])(
    'line 18 deleted and the SHA-256 chain recomputed ($name) is BROKEN (was: "chain intact", exit 0)',
    async ({ keepKid, reason }) => {
      const original = read(file);
      try {
        write(file, forge(original, 18, keepKid));
        const r = await verify(dataDir);
        expect(r.code).toBe(1);
        expect(r.out).toMatch(/BROKEN at line 1:/);
        expect(r.out).toMatch(reason);
      } finally {
        write(file, original);
      }
    },
  );

  it('the last 2 lines cut: verify --expect-head with the head noted before is BROKEN (was: exit 0)', async () => {
    const original = read(file);
    const noted = (await verify(dataDir)).out.match(/last hash ([0-9a-f]{64})/)![1]!;
    try {
      write(file, original.slice(0, -2));
      const r = await verify(dataDir, ['--expect-head', noted]);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`the head ${noted} noted earlier is not in it`);
      // and without a noted head, the snapshot's close line is missing: the cut is found all the same
      const alone = await verify(dataDir);
      expect(alone.code).toBe(1);
      expect(alone.out).toMatch(/period 2025-Q2 v1 .* has no close line after line \d+/);
    } finally {
      write(file, original);
    }
    const back = await verify(dataDir, ['--expect-head', noted]);
    expect(back.code).toBe(0);
    expect(back.out).toMatch(/0 entries since/);
  });

  it('a rotated key signs new lines; lines of the old key still verify', async () => {
    const saved = process.env.KZM_DATA_DIR;
    process.env.KZM_DATA_DIR = dataDir;
    const out: string[] = [];
    try {
      expect(await auditKeyMain(['rotate'], (s) => out.push(s))).toBe(0);
      expect(await auditKeyMain(['list'], (s) => out.push(s))).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.KZM_DATA_DIR;
      else process.env.KZM_DATA_DIR = saved;
    }
    expect(out.join('\n')).toMatch(/k1-[0-9a-f]{6}\tmade .*\tretired .*\nk2-[0-9a-f]{6}\tmade .*\tcurrent/);
    expect(out.join('\n')).not.toMatch(/secret|[A-Za-z0-9_-]{43}/);
    await fetch(`${svc.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'anna', password: 'wrong password' }),
    });
    const last = JSON.parse(read(file).at(-1)!) as AuditEntry;
    expect(last).toMatchObject({ action: 'login-failed', kid: expect.stringMatching(/^k2-/) });
    expect((await verify(dataDir)).code).toBe(0);
  });
});

describe('F8: logs written before the key verify as legacy lines', () => {
  it('an unkeyed log gets a key at the next start: old lines reported as legacy, new ones keyed; a later unkeyed line is BROKEN', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-audit-legacy-'));
    const file = auditLogPath(dataDir);
    try {
      // three lines exactly as the log wrote them before issue 21: plain SHA-256, no kid
      mkdirSync(dirname(file), { recursive: true });
      let prev = '0'.repeat(64);
      const old = [1, 2, 3].map((seq) => {
        const e = { seq, at: '2025-07-01T00:00:00.000Z', who: 'cli:root', action: 'user-add', what: { n: seq }, prev };
        prev = sha256(JSON.stringify(fields(e)));
        return JSON.stringify({ ...e, hash: prev });
      });
      write(file, old);
      expect(existsSync(auditKeyFilePath(dataDir))).toBe(false);
      const svc = await startService(await influx.database(), { dataDir, http: { allowAnonymous: false } });
      await svc.cleanup();
      const lines = read(file);
      expect(lines.length).toBeGreaterThan(3); // the first start's admin
      expect((JSON.parse(lines[3]!) as AuditEntry).kid).toMatch(/^k1-/);
      const r = await verify(dataDir);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/3 legacy lines 1-3, written before the audit key/);
      // an unkeyed line appended after the keyed ones is a forgery
      const last = JSON.parse(lines.at(-1)!) as AuditEntry;
      const e = { seq: last.seq + 1, at: last.at, who: 'x', action: 'close', what: {}, prev: last.hash };
      write(file, [...lines, JSON.stringify({ ...e, hash: sha256(JSON.stringify(fields(e))) })]);
      const forged = await verify(dataDir);
      expect(forged.code).toBe(1);
      expect(forged.out).toMatch(/unkeyed line after the key was made \(only lines 1-3 may be\)/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a keyed log whose key file is missing refuses the start (a new key would hide the loss)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-audit-lost-'));
    try {
      createAuditLog(auditLogPath(dataDir)).append({ who: 'x', action: 'user-add', what: {} });
      rmSync(auditKeyFilePath(dataDir));
      await expect(startService(await influx.database(), { dataDir })).rejects.toThrow(
        /keyed lines but their key file .*audit-keys\.json does not exist/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
