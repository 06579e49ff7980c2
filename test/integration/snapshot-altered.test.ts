import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogPath, type AuditEntry } from '../../src/auth/audit-log.ts';
import { addUser, usersFilePath } from '../../src/auth/users.ts';
import { periodsMain } from '../../src/cli/periods.ts';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';

/**
 * Issue 21 F6: with `declaredTotalTiyn` set to 1 in periods/<period>/v1.json, export.json answered 200 with the
 * edited total; only /verify said digestOk:false. Now every download of the snapshot (each export, late data) and
 * the CLI export check the digest first: a mismatch is refused (409, code snapshot-altered, a message that says
 * so and names `kzmeter verify`), audited and counted; never served. /verify still reports it.
 */
const PERIOD = '2025-Q2';

describe('F6: an altered snapshot is never served', () => {
  const influx = useInflux();
  let dataDir: string;
  let svc: Awaited<ReturnType<typeof startService>>;
  let token: string;
  let database: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-altered-'));
    token = (await addUser(usersFilePath(dataDir), { name: 'anna', role: 'accountant' })).token;
    const target = await influx.database();
    database = target.database;
    svc = await startService(target, { dataDir, http: { allowAnonymous: false } });
    const closed = await call('POST', `/api/periods/${PERIOD}/close`, {
      reason: 'Q2',
      acknowledgement: 'test: no readings in this period',
    });
    expect(closed.status).toBe(201);
    // The edit: the declared total set to 1 tiyn, the digest left as it was.
    const file = join(dataDir, 'periods', PERIOD, 'v1.json');
    const text = readFileSync(file, 'utf8');
    const total = /"declaredTotalTiyn":(\d+)/.exec(text)![1]!;
    const forged = total === '1' ? '2' : '1';
    writeFileSync(file, text.replace(`"declaredTotalTiyn":${total}`, `"declaredTotalTiyn":${forged}`));
  });
  afterAll(async () => {
    await svc?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${svc.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text() };
  }
  const altered = () =>
    readFileSync(auditLogPath(dataDir), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry)
      .filter((e) => e.action === 'snapshot-altered');
  const counted = async () => {
    const text = await svc.metrics.registry.getSingleMetricAsString('kzm_snapshot_altered_total');
    return [...text.matchAll(/^kzm_snapshot_altered_total\{[^}]*\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
  };

  it.each(['export.json', 'export.csv', 'export-totals.csv', 'export.html', 'late-data'])(
    '%s of the edited v1 is refused 409 snapshot-altered (was: export.json 200 with the edited total)',
    async (file) => {
      const before = { audit: altered().length, metric: await counted() };
      const res = await call('GET', `/api/periods/${PERIOD}/${file}`);
      expect(res.status).toBe(409);
      const body = JSON.parse(res.text) as { error: string; code: string };
      expect(body.code).toBe('snapshot-altered');
      expect(body.error).toMatch(/altered/);
      expect(body.error).toContain('kzmeter verify');
      expect(res.text).not.toMatch(/declaredTotalTiyn/);
      expect(altered().length).toBe(before.audit + 1);
      expect(altered().at(-1)).toMatchObject({ who: 'anna', what: { period: PERIOD, version: 1 } });
      expect(await counted()).toBe(before.metric + 1);
    },
  );

  it('a close of the period again (it answers the existing version) and a reopen are refused too', async () => {
    const again = await call('POST', `/api/periods/${PERIOD}/close`, { acknowledgement: 'test: again' });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text)).toMatchObject({ code: 'snapshot-altered' });
    const reopen = await call('POST', `/api/periods/${PERIOD}/reopen`, { reason: 'try' });
    expect(reopen.status).toBe(409);
    expect(JSON.parse(reopen.text)).toMatchObject({ code: 'snapshot-altered' });
  });

  it('/verify still answers, with digestOk false', async () => {
    const res = await call('GET', `/api/periods/${PERIOD}/verify`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ digestOk: false, ok: false });
  });

  it('the CLI export refuses too (exit 1, no file written) and the refusal is audited', async () => {
    const out = join(dataDir, 'out');
    const env = { KZM_DATA_DIR: dataDir, KZM_INFLUX_URL: influx.url, KZM_INFLUX_DATABASE: database };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const errors: string[] = [];
    const origError = console.error;
    console.error = (s: string) => void errors.push(String(s));
    try {
      const before = altered().length;
      const code = await periodsMain('export', ['--period', PERIOD, '--out', out]);
      expect(code).toBe(1);
      expect(errors.join('\n')).toMatch(/altered.*kzmeter verify/s);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
      expect(altered().length).toBe(before + 1);
      expect(altered().at(-1)!.who).toMatch(/^cli:/);
    } finally {
      console.error = origError;
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});
