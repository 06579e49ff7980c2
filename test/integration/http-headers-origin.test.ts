import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGuardedService, type GuardedService } from '../helpers/guarded-service.ts';

/**
 * Issue 21: /docs, export.html (served inline), /login and JSON answers lacked nosniff, a CSP and frame-ancestors;
 * the Host header was not checked (DNS rebinding reached the public routes). Now every answer carries them, and
 * Host and Origin must name this service: loopback names, the listen address, or http.publicOrigin.
 */
const PUBLIC = 'https://kzmeter.example.kz';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('issue 21: security headers on every answer; Host and Origin checked', () => {
  let g: GuardedService;
  let token: string;
  let port: string;

  beforeAll(async () => {
    g = await startGuardedService({ overrides: { http: { publicOrigin: PUBLIC } } });
    token = g.token;
    port = new URL(g.svc.httpUrl).port;
    const closed = await get('/api/periods/2025-Q2/close', {
      method: 'POST',
      body: JSON.stringify({ acknowledgement: 'test: no readings' }),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    expect(closed.status).toBe(201);
  });
  afterAll(() => g?.stop());

  /** A raw request: fetch will not let a test set Host. */
  function get(
    path: string,
    opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });
  }
  const bearer = () => ({ authorization: `Bearer ${token}` });

  it.each([
    { name: 'JSON (/health)', path: '/health', html: false },
    { name: 'an error (401)', path: '/api/meters', html: false, anonymous: true },
    { name: 'a 404', path: '/nowhere', html: false },
    { name: 'Prometheus text (/metrics)', path: '/metrics', html: false },
    { name: 'the login page', path: '/login', html: true },
    { name: 'Swagger UI (/docs/)', path: '/docs/', html: true },
    { name: 'the OpenAPI document', path: '/openapi.json', html: false },
    { name: 'a dashboard page', path: '/periods', html: true },
    { name: 'a dashboard asset', path: '/assets/app.js', html: false },
    { name: 'export.html (inline)', path: '/api/periods/2025-Q2/export.html', html: false },
    { name: 'export.csv', path: '/api/periods/2025-Q2/export.csv', html: false },
  ])(
    '$name: nosniff, a CSP with frame-ancestors none, Referrer-Policy (was: missing)',
    async ({ path, html, anonymous }) => {
      const r = await get(path, { headers: anonymous ? {} : bearer() });
      expect(r.status).toBeLessThan(500);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-frame-options']).toBe('DENY');
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      // pages load what this service sends; everything else (export.html included: its own inline style) nothing
      expect(csp).toMatch(html ? /default-src 'self'/ : /default-src 'none'/);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    },
  );

  it('the live event stream (hijacked answer) carries them too', async () => {
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/api/dashboard/events?topics=meters', headers: bearer() },
        (res) => {
          resolve({ ...res.headers, status: String(res.statusCode) });
          res.destroy();
        },
      );
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      req.end();
    });
    expect(headers.status).toBe('200');
    expect(headers['content-type']).toMatch(/text\/event-stream/);
    expect(headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    { name: 'a rebinding name (was: 200)', host: `evil.example:${'PORT'}`, ok: false },
    { name: 'the public origin host', host: 'kzmeter.example.kz', ok: true },
    { name: '127.0.0.1 with the port', host: `127.0.0.1:${'PORT'}`, ok: true },
    { name: 'localhost', host: `localhost:${'PORT'}`, ok: true },
    { name: 'the public host on another port', host: 'kzmeter.example.kz:8443', ok: false },
  ])('Host $name: $ok', async ({ host, ok }) => {
    const r = await get('/health', { headers: { host: host.replace('PORT', port) } });
    if (ok) expect(r.status).toBe(200);
    else {
      expect(r.status).toBe(421);
      expect(JSON.parse(r.body).error).toMatch(/KZM_HTTP_PUBLIC_ORIGIN/);
    }
  });

  it('an Origin other than this service is refused 403; the public origin is same-site for a session POST', async () => {
    const evil = await get('/api/meters', { headers: { ...bearer(), origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error).toMatch(/origin/i);
    const login = await get('/api/login', {
      method: 'POST',
      headers: { host: 'kzmeter.example.kz', origin: PUBLIC, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'anna', password: token }),
    });
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const reopen = await get('/api/periods/2025-Q2/reopen', {
      method: 'POST',
      headers: { host: 'kzmeter.example.kz', origin: PUBLIC, cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'behind the TLS proxy' }),
    });
    expect(reopen.status).toBe(200);
  });
});
