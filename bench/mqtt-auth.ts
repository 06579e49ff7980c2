import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { writeCredentialsFile, type IdentityRecord } from '../src/auth/mqtt-credentials.ts';
import { generateSecret, hashSecret } from '../src/auth/secret-hash.ts';
import { loadRegistry } from '../src/registry/load.ts';
import { startInflux, type TestInflux } from '../test/helpers/influx.ts';
import { eventually, queryRows, startService } from '../test/helpers/service.ts';
import { publishReadings } from './lib.ts';

/**
 * (a) Connection storm: 1,000 meters, each with its own identity, connect at once to a freshly started
 * service (empty verified-credential cache: the state after a broker restart) and each publish one QoS 1
 * reading; the time until every one is acknowledged. Then the same storm again (warm cache).
 * (b) Ingest throughput with authentication off (lab) and on (a gateway identity), in the same run.
 */
const METERS = 1000;
const T0 = Date.UTC(2025, 6, 1);

function writeRegistry(dir: string, n: number): string[] {
  const ids = Array.from({ length: n }, (_, i) => `storm-m${String(i + 1).padStart(4, '0')}`);
  const bin = '940140000385';
  writeFileSync(
    join(dir, 'taxpayers.yaml'),
    stringify({ taxpayers: [{ bin, name: 'Storm LLP', licenceSubtype: 'I' }] }),
  );
  writeFileSync(join(dir, 'sites.yaml'), stringify({ sites: [{ id: 'storm', name: 'Storm', taxpayer: bin }] }));
  const meters = ids.map((id) => ({
    id,
    site: 'storm',
    commissionedAt: '2020-01-01',
    sources: [{ from: '2020-01-01', source: 'grid' }],
    maxLoadKw: 100,
  }));
  writeFileSync(join(dir, 'meters.yaml'), stringify({ meters }));
  return ids;
}

async function issueAll(file: string, ids: string[]): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  const records: IdentityRecord[] = [];
  const issuedAt = new Date().toISOString();
  for (const id of ids) {
    const secret = generateSecret();
    secrets.set(id, secret);
    records.push({ id, kind: 'meter', hash: await hashSecret(secret), issuedAt });
  }
  writeCredentialsFile(file, records);
  return secrets;
}

/** Every meter connects at once and publishes one reading; seconds until all are acknowledged. */
async function storm(
  url: string,
  secrets: Map<string, string>,
  round: number,
  anonymous = false,
): Promise<{ s: number; refused: number }> {
  const started = performance.now();
  let refused = 0;
  const clients = await Promise.all(
    [...secrets].map(async ([id, password]): Promise<MqttClient | undefined> => {
      try {
        const c = await mqtt.connectAsync(url, {
          clientId: id,
          ...(!anonymous && { username: id, password }),
          reconnectPeriod: 0,
          connectTimeout: 30_000,
        });
        await c.publishAsync(`meters/${id}/reading`, JSON.stringify({ ts: T0 + round * 60_000, kwh: 1 + round }), {
          qos: 1,
        });
        return c;
      } catch {
        refused++;
        return undefined;
      }
    }),
  );
  const s = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c?.endAsync(true)));
  return { s: +s.toFixed(2), refused };
}

async function throughput(
  influx: TestInflux,
  n: number,
  registryDir: string,
  auth: boolean,
  file: string,
  meters: string[],
) {
  const secret = generateSecret();
  if (auth)
    writeCredentialsFile(file, [
      { id: 'bench-gw', kind: 'gateway', meters, hash: await hashSecret(secret), issuedAt: new Date().toISOString() },
    ]);
  const svc = await startService(
    await influx.database(),
    { registryDir, mqtt: { allowAnonymous: !auth, credentialsFile: file } },
    loadRegistry(registryDir),
  );
  try {
    const started = performance.now();
    await publishReadings(svc.brokerUrl, {
      meters,
      total: n,
      connections: 4,
      window: 500,
      t0Ms: T0,
      ...(auth && { auth: { username: 'bench-gw', password: secret } }),
    });
    await eventually(
      async () => ((await queryRows(svc.influx, 'SELECT count(wh) AS n FROM reading'))[0]?.n as number) ?? 0,
      (c) => c >= n,
      120_000,
    );
    return Math.round(n / ((performance.now() - started) / 1000));
  } finally {
    await svc.cleanup();
  }
}

export async function benchMqttAuth(n = 50_000) {
  const dir = mkdtempSync(join(tmpdir(), 'kzm-bench-auth-'));
  const influx = await startInflux();
  try {
    const ids = writeRegistry(dir, METERS);
    const file = join(dir, 'credentials.yaml');
    const secrets = await issueAll(file, ids);
    const registry = loadRegistry(dir);
    // The same storm without authentication (lab) first: the broker's and the clients' own cost.
    const lab = await startService(
      await influx.database(),
      { registryDir: dir, mqtt: { allowAnonymous: true, credentialsFile: file } },
      registry,
    );
    let anon;
    try {
      anon = await storm(lab.brokerUrl, secrets, 0, true);
    } finally {
      await lab.cleanup();
    }
    const svc = await startService(
      await influx.database(),
      { registryDir: dir, mqtt: { allowAnonymous: false, credentialsFile: file } },
      registry,
    );
    let cold, warm;
    try {
      cold = await storm(svc.brokerUrl, secrets, 0);
      warm = await storm(svc.brokerUrl, secrets, 1);
    } finally {
      await svc.cleanup();
    }
    // Alternated twice, best of each: the first service of a run pays for warm-up.
    const offs: number[] = [];
    const ons: number[] = [];
    for (let k = 0; k < 2; k++) {
      offs.push(await throughput(influx, n, dir, false, join(dir, 'none.yaml'), ids));
      ons.push(await throughput(influx, n, dir, true, join(dir, 'gw.yaml'), ids));
    }
    const off = Math.max(...offs);
    const on = Math.max(...ons);
    return {
      storm: {
        meters: METERS,
        anonymousSeconds: anon.s,
        coldCacheSeconds: cold.s,
        coldRefused: cold.refused,
        warmCacheSeconds: warm.s,
        warmRefused: warm.refused,
        limitSeconds: 10,
      },
      ingest: { readings: n, authOffMsgsPerS: off, authOnMsgsPerS: on, ratio: +(on / off).toFixed(3) },
    };
  } finally {
    await influx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
