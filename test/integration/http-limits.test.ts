import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, usersFilePath } from '../../src/auth/users.ts';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';

/**
 * Issue 21: 1 MB of nested JSON to /api/login (no login needed) cost 0.23-0.4 s of the event loop that ingest
 * shares; a 900 KB close `reason` was stored in a 913 KB snapshot. Now bodies are bounded before they are parsed
 * (/api/login 4 KB, everything else 64 KB), JSON nested deeper than 32 levels is refused by a scan before
 * JSON.parse, and text fields have a length (reason, acknowledgement 2,000 characters).
 */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('issue 21: bounded request bodies and text fields', () => {
  const influx = useInflux();
  let dataDir: string;
  let svc: Awaited<ReturnType<typeof startService>>;
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-limits-'));
    token = (await addUser(usersFilePath(dataDir), { name: 'anna', role: 'accountant' })).token;
    svc = await startService(await influx.database(), { dataDir, http: { allowAnonymous: false } });
  });
  afterAll(async () => {
    await svc?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const post = async (path: string, body: string, auth = true) => {
    const res = await fetch(`${svc.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth && { authorization: `Bearer ${token}` }) },
      body,
    });
    return { status: res.status, body: (await res.json()) as { error: string } };
  };

  it('1 MB of nested JSON to /api/login is refused 413 before it is read (was: parsed, 0.23-0.4 s of event loop)', async () => {
    const r = await post('/api/login', nested(500_000), false);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/too large/i);
  });

  it('3 KB of nested JSON (1,500 levels) within the login limit is refused 400 by the depth scan', async () => {
    const r = await post('/api/login', nested(1_500), false);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/nested deeper than 32/);
  });

  it('a body to a guarded route without credentials is refused 401 before it is parsed', async () => {
    const r = await post('/api/periods/2025-Q2/close', nested(30_000), false);
    expect(r.status).toBe(401);
  });

  it('a 900 KB close reason is refused 413 (was: stored in a 913 KB snapshot); 3,000 characters 400', async () => {
    const big = await post('/api/periods/2025-Q2/close', JSON.stringify({ reason: 'x'.repeat(900_000) }));
    expect(big.status).toBe(413);
    const long = await post(
      '/api/periods/2025-Q2/close',
      JSON.stringify({ reason: 'x'.repeat(3_000), acknowledgement: 'test: no readings' }),
    );
    expect(long.status).toBe(400);
    expect(long.body.error).toMatch(/reason: at most 2000 characters/);
    const reopen = await post('/api/periods/2025-Q2/reopen', JSON.stringify({ reason: 'x'.repeat(3_000) }));
    expect(reopen.status).toBe(400);
    // nothing was frozen
    expect(readdirSync(dataDir)).not.toContain('periods');
    const ok = await post(
      '/api/periods/2025-Q2/close',
      JSON.stringify({ reason: 'x'.repeat(2_000), acknowledgement: 'test: no readings' }),
    );
    expect(ok.status).toBe(201);
    expect(readFileSync(join(dataDir, 'periods', '2025-Q2', 'v1.json')).length).toBeLessThan(64 * 1024);
  });
});
