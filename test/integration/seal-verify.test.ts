/**
 * Issue 24, sealed readings end to end: readings of three local days published over MQTT into the running
 * service (real InfluxDB, embedded broker), sealed by `kzmeter seal --through`; then
 *   - a late reading for a sealed day -> an amendment (v2 naming v1, one reading added), verify still passes;
 *   - one reading changed directly in InfluxDB -> `kzmeter verify` exits 1 naming site, day, meter and reading;
 *   - one reading deleted directly in InfluxDB -> the same.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { auditLogPath, type AuditEntry } from '../../src/auth/audit-log.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerifyMain } from '../../src/cli/audit.ts';
import { sealMain } from '../../src/cli/seal.ts';
import { influxql } from '../../src/store/query/client.ts';
import { verifyEd25519 } from '../../src/util/ed25519.ts';
import { createWriteApi } from '../../src/store/write-api.ts';
import { eventually } from '../helpers/eventually.ts';
import { useInflux } from '../helpers/influx.ts';
import { publishReadings } from '../helpers/publish.ts';
import { TAXPAYERS_YAML, registryOf, removeRegistryDirs, writeRegistryDir } from '../helpers/registry-dir.ts';
import { startService } from '../helpers/service.ts';

const REGISTRY = {
  taxpayers: TAXPAYERS_YAML,
  sites: `sites:
  - { id: s1, name: Seal DC, taxpayer: "940140000385", timeZone: Asia/Almaty }
`,
  meters: `meters:
  - { id: s1-m1, site: s1, reportingIntervalS: 900, commissionedAt: 2025-01-01, sources: [{ from: 2025-01-01, source: grid }], maxLoadKw: 100 }
  - { id: s1-m2, site: s1, reportingIntervalS: 900, commissionedAt: 2025-01-01, sources: [{ from: 2025-01-01, source: grid }], maxLoadKw: 100 }
`,
};
// Local days 2025-06-10..12 at Almaty (UTC+5): 2025-06-09T19:00Z .. 2025-06-12T19:00Z.
const FROM = Date.parse('2025-06-09T19:00Z');
const TO = Date.parse('2025-06-12T19:00Z');
const readings = () => {
  const out = [];
  for (let t = FROM, i = 0; t < TO; t += 900_000, i++) out.push({ ts: t, kwh: i * 25 });
  return out;
};

const influx = useInflux();
let svc: Awaited<ReturnType<typeof startService>>;
let dataDir: string;
let env: Record<string, string>;

async function cli(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const lines: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (s: string) => void lines.push(String(s));
  console.error = (s: string) => void lines.push(String(s));
  try {
    return { code: await run(), out: lines.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}
const verify = () => cli(() => auditVerifyMain([], (s) => console.log(s)));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kzm-seal-'));
  const target = influx.target();
  svc = await startService(target, { dataDir }, registryOf(REGISTRY));
  await publishReadings(svc, 's1-m1', readings());
  await publishReadings(svc, 's1-m2', readings());
  env = {
    KZM_DATA_DIR: dataDir,
    KZM_REGISTRY_DIR: writeRegistryDir(REGISTRY),
    KZM_INFLUX_URL: influx.url,
    KZM_INFLUX_DATABASE: target.database,
  };
  const sealed = await cli(() => sealMain(['--through', '2025-06-12'], { out: (t) => console.log(t.trimEnd()) }));
  expect(sealed.code).toBe(0);
  expect(sealed.out).toMatch(/s1 2025-06-10 v1: 192 readings/);
  expect(sealed.out).toMatch(/sealed 3 site-day/);
}, 180_000);
afterAll(async () => {
  await svc?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
  removeRegistryDirs();
});

describe('sealed readings (issue 24)', () => {
  it('three days sealed, chained, signed with a 0600 key outside the seal folders; verify passes', async () => {
    const store = svc.seals.sealing.store;
    expect(store.days('s1')).toEqual(['2025-06-10', '2025-06-11', '2025-06-12']);
    const [a, b] = [store.latest('s1', '2025-06-10')!, store.latest('s1', '2025-06-11')!];
    expect(a.prev).toBeNull();
    expect(b.prev).toBe(a.digest);
    expect(a.meters.map((m) => [m.meter, m.readings])).toEqual([
      ['s1-m1', 96],
      ['s1-m2', 96],
    ]);
    const keyFile = join(dataDir, 'auth', 'signing-keys.json');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(a.keyId).toBe(svc.seals.sealing.signer.keyId);
    // GET /api/signing-key (public) gives the key the seal names; the seal's signature holds with it.
    const res = await fetch(`${svc.httpUrl}/api/signing-key`);
    const body = (await res.json()) as { current: string; keys: { keyId: string; publicKey: string; pem: string }[] };
    expect(body.current).toBe(a.keyId);
    const key = body.keys.find((k) => k.keyId === a.keyId)!;
    expect(key.pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(JSON.stringify(body)).not.toMatch(/PRIVATE/);
    expect(verifyEd25519(key.publicKey, a.digest, a.signature)).toBe(true);
    expect(verifyEd25519(key.publicKey, b.digest, a.signature)).toBe(false);
    // The seal is also in InfluxDB.
    const [s] = await influxql(influx.target(), `SELECT "digest", "version" FROM "reading_seal" WHERE "site" = 's1'`);
    expect(s!.values.map((v) => [v[1], v[2]])).toEqual(
      ['2025-06-10', '2025-06-11', '2025-06-12'].map((d) => [store.latest('s1', d)!.digest, 1]),
    );
    const again = await cli(() => sealMain(['--through', '2025-06-12'], { out: (t) => console.log(t.trimEnd()) }));
    expect(again.out).toMatch(/nothing to seal/);
    const r = await verify();
    expect(r.out).toMatch(/seals: 3 seal\(s\) of 3 site-day\(s\) verify/);
    expect(r.code).toBe(0);
  });

  it('a late reading for a sealed day -> an amendment v2 naming v1 (one added), not a failure', async () => {
    const late = Date.parse('2025-06-12T03:07:00Z');
    await publishReadings(svc, 's1-m1', [{ ts: late, kwh: 6000.5 }]);
    const store = svc.seals.sealing.store;
    const versions = await eventually(
      () => store.versions('s1', '2025-06-12'),
      (v) => v.length === 2,
      30_000,
      'the amendment of 2025-06-12',
    );
    expect(versions[1]).toMatchObject({
      version: 2,
      amends: versions[0]!.digest,
      change: { added: 1, changed: 0, removed: 0, first: { meter: 's1-m1', tsMs: late, kind: 'added' } },
    });
    const r = await verify();
    expect(r.out).toMatch(/seals: 4 seal\(s\) of 3 site-day\(s\) verify/);
    expect(r.code).toBe(0);
  });

  it('one reading changed and one deleted directly in InfluxDB -> verify exits 1 naming each', async () => {
    const changed = Date.parse('2025-06-10T05:00:00Z');
    const deleted = Date.parse('2025-06-11T07:15:00Z');
    await createWriteApi(influx.target()).writeLines([`reading,meter=s1-m2,site=s1 wh=1i ${changed}000000`]);
    await influxql(influx.target(), `DELETE FROM "reading" WHERE "meter" = 's1-m1' AND time = ${deleted}ms`);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `site s1, day 2025-06-10 (seal v1), meter s1-m2: the reading at ${new Date(changed).toISOString()} (${changed}) was changed behind the service's back (register now 1 Wh)`,
    );
    expect(r.out).toContain(
      `site s1, day 2025-06-11 (seal v1), meter s1-m1: the reading at ${new Date(deleted).toISOString()} (${deleted}) was deleted`,
    );
    expect(existsSync(join(dataDir, 'seals', 's1', '2025-06-10', 'v2.json'))).toBe(false); // nothing re-sealed
  });

  it('the close preview lists the amendment and the days that do not verify; the close is refused without an acknowledgement, accepted and audited with one', async () => {
    const period = '2025-06-10..2025-06-12';
    const preview = (await (await fetch(`${svc.httpUrl}/api/periods/${period}/preview`)).json()) as {
      amendments: { day: string; version: number }[];
      needsAcknowledgement: string[];
      sealedDays: number;
    };
    expect(preview.sealedDays).toBe(3);
    expect(preview.amendments.map((a) => [a.day, a.version])).toEqual([['2025-06-12', 2]]);
    expect(preview.needsAcknowledgement.join('\n')).toMatch(
      /sealed readings do not verify: site s1, day 2025-06-10.*s1-m2/,
    );
    const close = (body: object) =>
      fetch(`${svc.httpUrl}/api/periods/${period}/close`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ closedBy: 'e2e', ...body }),
      });
    const refused = await close({});
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /needs an acknowledgement.*sealed readings do not verify.*s1-m2/s,
    );
    const ok = await close({ acknowledgement: 'test: the edit of s1-m2 is under investigation' });
    expect(ok.status).toBe(201);
    const entries = readFileSync(auditLogPath(dataDir), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    const audited = entries.filter((e) => e.action === 'close').at(-1)!;
    expect(audited.what).toMatchObject({
      period,
      acknowledgement: 'test: the edit of s1-m2 is under investigation',
    });
    expect(JSON.stringify(audited.what)).toMatch(/sealed readings do not verify.*s1-m2/);
    // The snapshot is signed beside it, and every export download carries its signature.
    const pub = [...svc.seals.sealing.publicKeys.values()][0]!;
    // The close's audit line is signed too (over its HMAC hash), the chain kept.
    expect(audited.sig?.keyId).toBe(svc.seals.sealing.signer.keyId);
    expect(verifyEd25519(pub, audited.hash, audited.sig!.signature)).toBe(true);
    const dir = join(dataDir, 'periods', period);
    const sig = JSON.parse(readFileSync(join(dir, 'v1.sig.json'), 'utf8')) as { keyId: string; signature: string };
    expect(sig.keyId).toBe(svc.seals.sealing.signer.keyId);
    expect(verifyEd25519(pub, readFileSync(join(dir, 'v1.json')), sig.signature)).toBe(true);
    const csv = await fetch(`${svc.httpUrl}/api/periods/${period}/export.csv`);
    const body = await csv.text();
    const header = /keyId=([a-f0-9]{64}); ed25519=(\S+)/.exec(csv.headers.get('x-kzm-signature') ?? '');
    expect(header?.[1]).toBe(sig.keyId);
    expect(verifyEd25519(pub, body, header![2]!)).toBe(true);
    expect(verifyEd25519(pub, `${body} `, header![2]!)).toBe(false);
  });

  it('the evidence package: verified by a separate process in an empty directory (exit 0); one byte of a file, the manifest or the key changed -> exit 1 naming it', async () => {
    const period = '2025-06-10..2025-06-12';
    const res = await fetch(`${svc.httpUrl}/api/periods/${period}/evidence.zip`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const zip = Buffer.from(await res.arrayBuffer());
    const names = Object.keys(unzipSync(zip)).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        'README.txt',
        'audit.jsonl',
        'keys.json',
        'ledger.csv',
        'manifest.json',
        'manifest.sig',
        'report.html',
        'seals/s1/2025-06-10.v1.json',
        'seals/s1/2025-06-12.v2.json',
        'snapshot.json',
        'totals.csv',
      ]),
    );
    expect(Buffer.from(unzipSync(zip)['README.txt']!).toString()).toMatch(/Русский[\s\S]*Қазақша[\s\S]*English/);
    const empty = mkdtempSync(join(tmpdir(), 'kzm-inspector-'));
    try {
      const file = join(empty, 'evidence.zip');
      writeFileSync(file, zip);
      const keyId = svc.seals.sealing.signer.keyId;
      const ok = await offline(empty, ['verify-evidence', 'evidence.zip', '--key', keyId]);
      expect(ok.stdout).toMatch(/intact: \d+ files, 4 seals/);
      expect(ok.code).toBe(0);
      const flip = (text: string, at = 0) => {
        const copy = Buffer.from(zip);
        const i = copy.indexOf(Buffer.from(text)) + at;
        expect(i).toBeGreaterThan(at - 1);
        copy[i] = copy[i]! ^ 0x01;
        writeFileSync(file, copy);
      };
      flip('s1-m2', 1); // inside the first file that names it (stored uncompressed: the byte stays in its file)
      const changed = await offline(empty, ['verify-evidence', 'evidence.zip']);
      expect(changed.code).toBe(1);
      expect(changed.stdout).toMatch(
        /evidence\.zip: (audit\.jsonl|ledger\.csv|snapshot\.json|report\.html|totals\.csv): its SHA-256 differs/,
      );
      flip('"snapshotDigest"', 2);
      const manifest = await offline(empty, ['verify-evidence', 'evidence.zip']);
      expect(manifest.code).toBe(1);
      expect(manifest.stdout).toMatch(/manifest\.json: its signature \(manifest\.sig\) does not verify/);
      writeFileSync(file, zip);
      const wrongKey = await offline(empty, ['verify-evidence', 'evidence.zip', '--key', 'ab'.repeat(32)]);
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.stdout).toMatch(/manifest\.sig: signed by key/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

/** The CLI as an inspector runs it: its own process, an empty working directory, no KZM_* settings. */
function offline(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '../../src/cli/main.ts'), ...args],
      { cwd, timeout: 30_000, env: { PATH: process.env.PATH ?? '', HOME: cwd } },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
