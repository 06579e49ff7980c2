import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, roleAtLeast, type Role } from '../../src/auth/roles.ts';
import { neededRole, ROUTE_RIGHTS } from '../../src/auth/route-rights.ts';
import { addUser, usersFilePath } from '../../src/auth/users.ts';
import { useInflux } from '../helpers/influx.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { DEVICES_DIR, startService } from '../helpers/service.ts';

/**
 * Role x route, generated from the route table (src/auth/route-rights.ts): every sample request of every
 * route, without credentials and as each role, against the real service. A route added without an entry
 * cannot even be registered (see the last test).
 */
const DALA = '940140000385'; // ekb-1, kpg-2
const STEPPE = '990140004654'; // ast-3
const STEPPE_METER = 'ast-3-m01';

const registry = loadRegistry(DEVICES_DIR);
type Who = Role | 'none';
const cases = ROUTE_RIGHTS.flatMap((r) =>
  r.samples.flatMap((url) =>
    (['none', ...ROLES] as Who[]).map((who) => {
      const file = /\/api\/periods\/[^/]+\/([^/?]+)/.exec(url)?.[1];
      const need = neededRole(r, { ...(file && { file }) });
      const allowed = need === 'public' || (who !== 'none' && roleAtLeast(who, need));
      return { name: `${r.method} ${url} as ${who}: ${allowed ? 'allowed' : 'refused'}`, r, url, who, need, allowed };
    }),
  ),
);

describe('HTTP rights: the role x route matrix from the route table', () => {
  const influx = useInflux();
  let dataDir: string;
  let svc: Awaited<ReturnType<typeof startService>>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-http-auth-'));
    const file = usersFilePath(dataDir);
    for (const role of ROLES) tokens[role] = (await addUser(file, { name: `u-${role}`, role })).token;
    tokens.dalaAccountant = (await addUser(file, { name: 'dala-acc', role: 'accountant', taxpayer: DALA })).token;
    tokens.dalaOperator = (await addUser(file, { name: 'dala-op', role: 'operator', taxpayer: DALA })).token;
    svc = await startService(await influx.database(), { dataDir, http: { allowAnonymous: false } });
  });
  afterAll(async () => {
    await svc?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(method: string, url: string, token?: string, body?: unknown) {
    const ctl = new AbortController();
    const res = await fetch(`${svc.httpUrl}${url}`, {
      method,
      redirect: 'manual',
      signal: ctl.signal,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(method === 'POST' && { 'content-type': 'application/json' }),
      },
      ...(method === 'POST' && { body: JSON.stringify(body ?? {}) }),
    });
    // the event stream never ends: the status is all we need
    const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? '' : await res.text();
    ctl.abort();
    return { status: res.status, text, location: res.headers.get('location') };
  }

  it.each(cases)('$name', async ({ r, url, who, allowed }) => {
    const res = await call(r.method, url, who === 'none' ? undefined : tokens[who]);
    if (allowed) {
      expect([401, 403]).not.toContain(res.status);
      expect(res.status).toBeLessThan(500);
    } else if (who === 'none' && r.page) {
      expect(res.status).toBe(302);
      expect(res.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    } else {
      expect(res.status).toBe(who === 'none' ? 401 : 403);
      expect(JSON.parse(res.text).error).toMatch(who === 'none' ? /authentication required/ : /needs the \w+ role/);
    }
  });

  it('a wrong or unknown token is 401, whatever the route', async () => {
    expect((await call('GET', '/api/meters', `${tokens.viewer!.slice(0, -1)}x`)).status).toBe(401);
    expect((await call('GET', '/api/meters', 'kzm_000000000000_' + 'a'.repeat(43))).status).toBe(401);
  });

  it.each([
    { name: 'ledger of another taxpayer', method: 'GET', url: `/api/ledger?period=2025-Q3&taxpayer=${STEPPE}` },
    { name: "ledger of another taxpayer's site", method: 'GET', url: '/api/ledger?period=2025-Q3&site=ast-3' },
    { name: 'export of another taxpayer', method: 'GET', url: `/api/periods/2025-Q3/export.csv?taxpayer=${STEPPE}` },
    { name: "another taxpayer's meter detail", method: 'GET', url: `/api/dashboard/meters/${STEPPE_METER}` },
    { name: 'invoices of another taxpayer', method: 'GET', url: `/api/invoices?taxpayer=${STEPPE}` },
    {
      name: 'reconciliation of another taxpayer',
      method: 'GET',
      url: `/api/reconciliation?period=2025-Q3&taxpayer=${STEPPE}`,
    },
    {
      name: 'close for another taxpayer',
      method: 'POST',
      url: '/api/periods/2025-Q3/close',
      body: { taxpayer: STEPPE },
    },
    {
      name: 'reopen for another taxpayer',
      method: 'POST',
      url: '/api/periods/2025-Q3/reopen',
      body: { taxpayer: STEPPE },
    },
  ])('a taxpayer-bound user is refused 403: $name', async ({ method, url, body }) => {
    const res = await call(
      method,
      url,
      method === 'GET' && url.includes('dashboard') ? tokens.dalaOperator : tokens.dalaAccountant,
      body,
    );
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text).error).toMatch(/taxpayer/);
  });

  it("a taxpayer-bound user's lists, ledger and close hold their taxpayer only", async () => {
    const meters = JSON.parse((await call('GET', '/api/meters', tokens.dalaAccountant)).text) as {
      meters: { taxpayer: string }[];
    };
    expect(meters.meters.length).toBeGreaterThan(0);
    expect(new Set(meters.meters.map((m) => m.taxpayer))).toEqual(new Set([DALA]));
    const all = JSON.parse((await call('GET', '/api/meters', tokens.viewer)).text) as {
      meters: { taxpayer: string }[];
    };
    // an unbound user sees every taxpayer's meters
    expect(new Set(all.meters.map((m) => m.taxpayer))).toEqual(new Set(registry.meters.map((m) => m.taxpayerBin)));
    const dash = JSON.parse((await call('GET', '/api/dashboard/meters', tokens.dalaOperator)).text) as {
      meters: { id: string }[];
    };
    expect(dash.meters.some((m) => m.id.startsWith('ast-3'))).toBe(false);
    const ledger = JSON.parse((await call('GET', '/api/ledger?period=2025-Q3', tokens.dalaAccountant)).text) as {
      lines: { meterId: string }[];
    };
    expect(ledger.lines.every((l) => !l.meterId.startsWith('ast-3'))).toBe(true);
    const closed = await call('POST', '/api/periods/2025-Q2/close', tokens.dalaAccountant, {
      closedBy: 'someone-else',
      acknowledgement: 'test: no readings in this period',
    });
    expect(closed.status).toBe(201);
    const snap = JSON.parse(closed.text) as { snapshot: { taxpayerScope: string; closedBy: string } };
    expect(snap.snapshot.taxpayerScope).toBe(DALA);
    // closedBy is the authenticated user, not what the body says
    expect(snap.snapshot.closedBy).toBe('dala-acc');
    const periods = JSON.parse((await call('GET', '/api/periods', tokens.dalaAccountant)).text) as {
      periods: { taxpayer: string | null; version: number | null }[];
    };
    expect(periods.periods.every((p) => p.taxpayer === DALA || (p.taxpayer === null && p.version === null))).toBe(true);
  });

  it("issue 24: a taxpayer-bound accountant imports invoices only for their taxpayer's sites", async () => {
    const other = await call('POST', '/api/invoices', tokens.dalaAccountant, { csv: 'ast-3,2025-07,1000' });
    expect(other.status).toBe(400);
    expect(JSON.parse(other.text).error).toMatch(/line 1, column site: "ast-3" is not a site of your taxpayer/);
    const mine = await call('POST', '/api/invoices', tokens.dalaAccountant, { csv: 'ekb-1,2025-07,1000' });
    expect(mine.status).toBe(200);
    expect(JSON.parse(mine.text).imported).toEqual([expect.objectContaining({ site: 'ekb-1', version: 1 })]);
    const viewer = await call('POST', '/api/invoices', tokens.viewer, { csv: 'ekb-1,2025-07,1000' });
    expect(viewer.status).toBe(403);
    // the list a bound user reads holds their sites only
    const list = JSON.parse((await call('GET', '/api/invoices?period=2025-Q3', tokens.dalaAccountant)).text) as {
      invoices: { site: string }[];
    };
    expect(list.invoices.map((i) => i.site)).toEqual(['ekb-1']);
  });

  it("issue 21: a taxpayer-bound operator sees only their meters' series in /metrics (was: every taxpayer's)", async () => {
    const series = (text: string) =>
      new Set([...text.matchAll(/^kzm_meter_\w+\{[^}]*meter="([^"]+)"/gm)].map((m) => m[1]!));
    const mine = new Set(registry.meters.filter((m) => m.taxpayerBin === DALA).map((m) => m.id));
    const bound = series((await call('GET', '/metrics', tokens.dalaOperator)).text);
    expect(bound).toEqual(mine);
    const all = series((await call('GET', '/metrics', tokens.operator)).text);
    expect(all).toEqual(new Set(registry.meters.map((m) => m.id)));
    // the service's own series stay (they name no taxpayer)
    expect((await call('GET', '/metrics', tokens.dalaOperator)).text).toMatch(/^kzm_ingest_readings_accepted_total /m);
  });

  it("issue 21: a taxpayer-bound user's close preview names only their taxpayer (was: every taxpayer)", async () => {
    const res = await call('GET', '/api/periods/2025-Q2/preview', tokens.dalaAccountant);
    expect(res.status).toBe(200);
    const names = (JSON.parse(res.text) as { taxpayerNames: Record<string, string> }).taxpayerNames;
    expect(Object.keys(names)).toEqual([DALA]);
    const unbound = JSON.parse((await call('GET', '/api/periods/2025-Q2/preview', tokens.accountant)).text) as {
      taxpayerNames: Record<string, string>;
    };
    expect(Object.keys(unbound.taxpayerNames).sort()).toEqual(registry.taxpayers.map((t) => t.bin).sort());
  });
});
