import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, usersFilePath, writeUsers } from '../../src/auth/users.ts';
import { buildApp } from '../../src/http/app.ts';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';

const influx = useInflux();

/** Dashboard login, sessions, CSRF, rate limit and the first start's admin, against the real service. */
describe('people: login, sessions and first start', () => {
  let dataDir: string;
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-login-'));
    svc = await startService(await influx.database(), { dataDir, http: { allowAnonymous: false } });
    await addUser(usersFilePath(dataDir), {
      name: 'anna',
      role: 'accountant',
      password: 'correct horse battery staple',
    });
  });
  afterAll(async () => {
    await svc?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${svc.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('a first start on loopback creates "admin" with a token shown once; only its hash is stored', async () => {
    expect(svc.adminToken).toMatch(/^kzm_[a-f0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const stored = readFileSync(usersFilePath(dataDir), 'utf8');
    expect(stored).toContain('"admin"');
    expect(stored).not.toContain(svc.adminToken!.slice(17));
    const me = await fetch(`${svc.httpUrl}/api/session`, { headers: { authorization: `Bearer ${svc.adminToken}` } });
    expect(await me.json()).toMatchObject({ name: 'admin', role: 'admin', via: 'token' });
  });

  it('logs in with a password: HttpOnly SameSite=Strict session cookie; the session reads, logout ends it', async () => {
    const res = await post('/api/login', { username: 'anna', password: 'correct horse battery staple' });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^kzm_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP on loopback; Secure when the request came over TLS
    const session = cookie.split(';')[0]!;
    const me = await fetch(`${svc.httpUrl}/api/session`, { headers: { cookie: session } });
    expect(await me.json()).toMatchObject({ name: 'anna', role: 'accountant', via: 'session' });
    await post('/api/logout', {}, { cookie: session });
    expect((await fetch(`${svc.httpUrl}/api/session`, { headers: { cookie: session } })).status).toBe(401);
  });

  it('a cookie-authenticated POST from another site (CSRF) is refused; from the dashboard it is allowed', async () => {
    const res = await post('/api/login', { username: 'anna', password: 'correct horse battery staple' });
    const session = res.headers.get('set-cookie')!.split(';')[0]!;
    const body = { reason: 'test', acknowledgement: 'test: no readings in this period' };
    const evil = await post('/api/periods/2025-Q1/close', body, { cookie: session, origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: string }).error).toMatch(/cross-site/);
    const noOrigin = await post('/api/periods/2025-Q1/close', body, { cookie: session });
    expect(noOrigin.status).toBe(403);
    const own = await post('/api/periods/2025-Q1/close', body, { cookie: session, origin: svc.httpUrl });
    expect(own.status).toBe(201);
    expect(((await own.json()) as { snapshot: { closedBy: string } }).snapshot.closedBy).toBe('anna');
  });

  it('the admin logs in with the token as password; wrong passwords are 401, then 429 with Retry-After', async () => {
    expect((await post('/api/login', { username: 'admin', password: svc.adminToken })).status).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await post('/api/login', { username: 'anna', password: `nope${i}` })).status).toBe(401);
    const limited = await post('/api/login', { username: 'anna', password: 'correct horse battery staple' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  /** A login from another loopback address (127.0.0.2...): Linux routes all of 127/8 to lo. */
  function postFrom(localAddress: string, body: unknown): Promise<number> {
    const url = new URL(`${svc.httpUrl}/api/login`);
    const text = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          localAddress,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }

  it('issue 21: 5 wrong logins from another address do not lock the real user out of their own address (was: 429 for 15 min)', async () => {
    await addUser(usersFilePath(dataDir), { name: 'bea', role: 'viewer', password: 'bea correct password' });
    for (let i = 0; i < 5; i++)
      expect(await postFrom('127.0.0.2', { username: 'bea', password: `guess${i}` })).toBe(401);
    // that address is limited for that user, even with the right password
    expect(await postFrom('127.0.0.2', { username: 'bea', password: 'bea correct password' })).toBe(429);
    // the real user, from their own address, gets in
    expect(await postFrom('127.0.0.3', { username: 'bea', password: 'bea correct password' })).toBe(200);
  });

  it('issue 21: one address spraying many user names is limited as an address (30 failures)', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 31; i++) codes.push(await postFrom('127.0.0.4', { username: `nobody${i}`, password: 'x' }));
    expect(codes.slice(0, 30).every((c) => c === 401)).toBe(true);
    expect(codes[30]).toBe(429);
  });

  it('pages redirect to /login without a session; the login page is served', async () => {
    const res = await fetch(`${svc.httpUrl}/periods`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?next=%2Fperiods');
    const page = await fetch(`${svc.httpUrl}/login`);
    expect(await page.text()).toMatch(/<form id="login"/);
  });
});

describe('safe start-up for people', () => {
  it('refuses a non-loopback HTTP address with no users, or with anonymous access, saying what to set', async () => {
    await expect(
      startService(await influx.database(), { http: { host: '0.0.0.0', allowAnonymous: false } }),
    ).rejects.toThrow(/kzmeter users add admin --role admin/);
    await expect(
      startService(await influx.database(), { http: { host: '0.0.0.0', allowAnonymous: true } }),
    ).rejects.toThrow(/KZM_HTTP_ALLOW_ANONYMOUS/);
  });

  it('a first start that is refused creates no admin (its token would be lost); the next good start does', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-first-'));
    try {
      const over = { dataDir, http: { allowAnonymous: false } };
      await expect(
        startService(await influx.database(), { ...over, tariffsDir: join(dataDir, 'no-tariffs') }),
      ).rejects.toThrow(/tariff directory .*no-tariffs does not exist.*KZM_TARIFFS_DIR/);
      expect(existsSync(usersFilePath(dataDir))).toBe(false);
      const svc = await startService(await influx.database(), over);
      expect(svc.adminToken).toMatch(/^kzm_/);
      await svc.cleanup();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a route registered without an entry in the route table stops the app from building', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kzm-routes-'));
    try {
      const file = usersFilePath(dir);
      writeUsers(file, []);
      const { prepareHttpAuth } = await import('../../src/auth/http-setup.ts');
      const { loadConfig } = await import('../../src/config/load.ts');
      const { loadRegistry } = await import('../../src/registry/load.ts');
      const { createLiveState } = await import('../../src/live/live-state.ts');
      const { createIngestMetrics } = await import('../../src/ingest/metrics.ts');
      const log = pino({ level: 'silent' });
      const { openStateStore } = await import('../../src/state/open-state.ts');
      const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
      const people = await prepareHttpAuth(config, await openStateStore(config), log);
      if (!people.ok) throw new Error(people.reason);
      const registry = loadRegistry(join(import.meta.dirname, '../../devices'));
      const build = buildApp({
        registry,
        live: createLiveState(),
        metrics: createIngestMetrics(),
        health: {
          influx: { url: 'http://x', apiVersion: '1' } as never,
          writer: {} as never,
          broker: () => ({}) as never,
        },
        log,
        auth: { ...people.value, registry, allowAnonymous: false },
        plugins: [async (app) => void app.get('/api/forgotten', async () => ({}))],
      });
      await expect(build).rejects.toThrow(/GET \/api\/forgotten has no entry in src\/auth\/route-rights\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
