import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogPath, type AuditEntry } from '../../src/auth/audit-log.ts';
import { addUser, usersFilePath } from '../../src/auth/users.ts';
import { auditVerifyMain } from '../../src/cli/audit.ts';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';

/** Close, export, reopen and a failed login through the real service end up in a chain `kzmeter verify` checks. */
describe('the audit trail', () => {
  const influx = useInflux();
  let dataDir: string;
  let svc: Awaited<ReturnType<typeof startService>>;
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-audit-it-'));
    token = (await addUser(usersFilePath(dataDir), { name: 'anna', role: 'accountant' })).token;
    svc = await startService(await influx.database(), { dataDir, http: { allowAnonymous: false } });
  });
  afterAll(async () => {
    await svc?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${svc.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const entries = () =>
    readFileSync(auditLogPath(dataDir), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
  const verify = async () => {
    const out: string[] = [];
    process.env.KZM_DATA_DIR = dataDir;
    const code = await auditVerifyMain([], (s) => out.push(s));
    return { code, out: out.join('\n') };
  };

  it('records who closed, downloaded and reopened, with digests, and a failed login; the periods list says who', async () => {
    const closed = (await (
      await call('POST', '/api/periods/2025-Q2/close', {
        reason: 'Q2',
        acknowledgement: 'test: no readings in this period',
      })
    ).json()) as {
      digest: string;
    };
    const csv = Buffer.from(await (await call('GET', '/api/periods/2025-Q2/export.csv')).arrayBuffer());
    expect((await call('POST', '/api/periods/2025-Q2/reopen', { reason: 'late readings' })).status).toBe(200);
    await fetch(`${svc.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'anna', password: 'wrong-password' }),
    });
    const got = entries().filter((e) => e.action !== 'user-add');
    expect(got.map((e) => [e.action, e.who])).toEqual([
      ['close', 'anna'],
      ['export', 'anna'],
      ['reopen', 'anna'],
      ['login-failed', 'anna'],
    ]);
    expect(got[0]).toMatchObject({ what: { period: '2025-Q2', version: 1, created: true }, digest: closed.digest });
    expect(got[1]).toMatchObject({
      what: { period: '2025-Q2', file: 'export.csv' },
      digest: createHash('sha256').update(csv).digest('hex'),
    });
    expect(got[2]).toMatchObject({ what: { period: '2025-Q2', version: 1 } });
    const list = (await (await call('GET', '/api/periods')).json()) as {
      periods: { period: string; closedBy?: string; reopenedBy?: string }[];
    };
    expect(list.periods.find((p) => p.period === '2025-Q2')).toMatchObject({ closedBy: 'anna', reopenedBy: 'anna' });
  });

  it('kzmeter verify passes the untouched chain and finds an edited line', async () => {
    const ok = await verify();
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/chain intact/);
    const file = auditLogPath(dataDir);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const i = lines.findIndex((l) => l.includes('"action":"close"'));
    lines[i] = lines[i]!.replace('"who":"anna"', '"who":"bob"');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.out).toContain(`BROKEN at line ${i + 1}`);
  });
});
