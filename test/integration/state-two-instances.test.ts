/**
 * Issue 25: "two `serve` instances on one PostgreSQL and one InfluxDB: a login on A works on B; a close on A is
 * listed and exported by B; the same close sent to A and B at once yields exactly one version 1; audit lines of
 * both are in one chain; restarting either logs nobody out." Two real service processes, Debian's PostgreSQL and
 * InfluxDB; each instance has its own data dir and broker, and both read one shared audit and signing key file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/auth/users.ts';
import { auditVerifyMain } from '../../src/cli/audit.ts';
import { openPgStateStore } from '../../src/state/pg/pg-state.ts';
import { freePort } from '../../src/util/free-port.ts';
import { useInflux } from '../helpers/influx.ts';
import { writeSteadyM01 } from '../helpers/state-cli.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { DEVICES_DIR } from '../helpers/service.ts';
import { spawnService, type ServiceProcess } from '../helpers/service-process.ts';
import { at } from '../unit/periods/fixtures.ts';

const P1 = '2025-07-01..2025-07-02';
const P2 = '2025-07-03..2025-07-04';
const ACK = 'only m01 installed';
const PASSWORD = 'correct horse battery staple';
const influx = useInflux();
const postgres = usePostgres();
let root: string;
let stateUrl: string;
let token: string;
const procs: Record<'A' | 'B', ServiceProcess | undefined> = { A: undefined, B: undefined };

const shared = () => join(root, 'shared');
const envOf = async (name: string): Promise<Record<string, string>> => ({
  KZM_STATE_URL: stateUrl,
  KZM_INFLUX_URL: influx.target().url,
  KZM_INFLUX_DATABASE: influx.target().database,
  KZM_DATA_DIR: join(root, name),
  KZM_AUDIT_KEY_FILE: join(shared(), 'audit-keys.json'),
  KZM_SIGNING_KEY_FILE: join(shared(), 'signing-keys.json'),
  KZM_HTTP_ALLOW_ANONYMOUS: 'false',
  KZM_HTTP_PORT: String(await freePort()),
  KZM_MQTT_EMBEDDED_PORT: String(await freePort()),
  KZM_TARIFFS_DIR: join(DEVICES_DIR, '..', 'tariffs'),
});
const envs: Record<string, Record<string, string>> = {};

const api = (p: 'A' | 'B', path: string, init: RequestInit & { cookie?: string } = {}) =>
  fetch(`${procs[p]!.httpUrl}${path}`, {
    ...init,
    headers: {
      ...(init.cookie ? { cookie: init.cookie } : { authorization: `Bearer ${token}` }),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
  });
const close = (p: 'A' | 'B', period: string) =>
  api(p, `/api/periods/${period}/close`, { method: 'POST', body: JSON.stringify({ acknowledgement: ACK }) });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kzm-two-'));
  mkdirSync(shared(), { mode: 0o700 });
  stateUrl = await postgres.get().database();
  await writeSteadyM01(influx.target(), at('2025-07-01T00:00:00+05:00'), at('2025-07-05T00:00:00+05:00'));
  // The accountant, made once in the shared database (as `kzmeter users add` would with KZM_STATE_URL).
  const state = await openPgStateStore({
    url: stateUrl,
    dataDir: join(root, 'cli'),
    auditKeyFile: join(shared(), 'audit-keys.json'),
  });
  token = (await addUser(state.users, { name: 'acc', role: 'accountant', password: PASSWORD })).token;
  await state.close();
  envs.A = await envOf('a');
  envs.B = await envOf('b');
  // Both at once: migrations and first-start key files race and must not trip each other.
  [procs.A, procs.B] = await Promise.all([spawnService(envs.A), spawnService(envs.B)]);
}, 180_000);

afterAll(async () => {
  for (const p of Object.values(procs)) await p?.kill('SIGTERM');
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('two instances on one PostgreSQL (issue 25)', () => {
  let cookie = '';

  it('issue 25: a login on A works on B (the cookie)', async () => {
    const login = await fetch(`${procs.A!.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'acc', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const onB = await api('B', '/api/session', { cookie });
    expect(onB.status).toBe(200);
    expect(await onB.json()).toMatchObject({ name: 'acc', role: 'accountant', via: 'session' });
  });

  it('issue 25: a close on A is listed and exported by B', async () => {
    const closed = await close('A', P1);
    expect(closed.status, await closed.clone().text()).toBe(201);
    const { version, digest } = (await closed.json()) as { version: number; digest: string };
    expect(version).toBe(1);
    const list = (await (await api('B', '/api/periods')).json()) as {
      periods: { period: string; version: number | null; digest: string | null }[];
    };
    expect(list.periods.find((p) => p.period === P1)).toMatchObject({ version: 1, digest });
    const fromB = await api('B', `/api/periods/${P1}/export.json`);
    const fromA = await api('A', `/api/periods/${P1}/export.json`);
    expect(fromB.status).toBe(200);
    const body = await fromB.text();
    expect(body).toBe(await fromA.text());
    expect((JSON.parse(body) as { digest: string }).digest).toBe(digest);
  });

  it('issue 25: the same close sent to A and B at once -> exactly one version 1', async () => {
    const answers = await Promise.all([close('A', P2), close('B', P2)]);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as {
      created: boolean;
      version: number;
      digest: string;
    }[];
    expect(answers.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(bodies.filter((b) => b.created)).toHaveLength(1);
    expect(bodies.map((b) => b.version)).toEqual([1, 1]);
    expect(bodies[0]!.digest).toBe(bodies[1]!.digest);
    const list = (await (await api('A', '/api/periods')).json()) as { periods: { period: string; version: number }[] };
    expect(list.periods.filter((p) => p.period === P2)).toEqual([expect.objectContaining({ version: 1 })]);
  });

  it('issue 25: audit lines of both instances are in one chain, and kzmeter verify passes', async () => {
    // A failed login on B: a line only B writes, between A's.
    const bad = await fetch(`${procs.B!.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'acc', password: 'wrong password, from B' }),
    });
    expect(bad.status).toBe(401);
    const config = join(root, 'verify.yaml');
    writeFileSync(
      config,
      [
        `dataDir: ${join(root, 'cli')}`,
        `registryDir: ${DEVICES_DIR}`,
        'influx:',
        `  url: ${influx.target().url}`,
        `  database: ${influx.target().database}`,
        'state:',
        `  url: ${stateUrl}`,
        'audit:',
        `  keyFile: ${join(shared(), 'audit-keys.json')}`,
        'signing:',
        `  keyFile: ${join(shared(), 'signing-keys.json')}`,
      ].join('\n'),
    );
    const out: string[] = [];
    const code = await auditVerifyMain(['--config', config], (s) => out.push(s));
    expect(code, out.join('\n')).toBe(0);
    const trail = out.find((l) => l.startsWith('audit trail'))!;
    expect(trail).toMatch(/chain intact/);
    expect(trail).not.toContain(postgres.get().password);
    const state = await openPgStateStore({
      url: stateUrl,
      dataDir: join(root, 'cli'),
      auditKeyFile: join(shared(), 'audit-keys.json'),
    });
    const actions = (await state.audit.lines()).map((l) => (JSON.parse(l) as { action: string }).action);
    await state.close();
    // A's close of P1, B's export of P1, one close line per P2 answer, B's failed login: one trail.
    expect(actions.filter((a) => a === 'close')).toHaveLength(3);
    expect(actions).toContain('export');
    expect(actions).toContain('login-failed');
  });

  it('issue 25: restarting A logs nobody out', async () => {
    await procs.A!.kill('SIGTERM');
    procs.A = await spawnService(envs.A!);
    const again = await api('A', '/api/session', { cookie });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ name: 'acc', via: 'session' });
  });

  it("the state URL's password is in no log line of either instance", () => {
    for (const p of [procs.A!, procs.B!]) {
      const { stdout, stderr } = p.output();
      expect(stdout + stderr).not.toContain(postgres.get().password);
    }
  });
});
