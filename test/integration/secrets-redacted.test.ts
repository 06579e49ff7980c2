import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, usersFilePath } from '../../src/auth/users.ts';
import { freePort } from '../../src/util/free-port.ts';
import { useInflux } from '../helpers/influx.ts';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { spawnService, type ServiceProcess } from '../helpers/service-process.ts';
import { eventually } from '../helpers/eventually.ts';

/**
 * Issue 21 F7: with KZM_MQTT_BROKER_URL=mqtt://mon:<secret>@host:port the public /health (no login) returned the
 * URL with the secret and the log printed it twice; the InfluxDB URL took the same path. Now: the public /health
 * names no internal address at all, an admin's /health gives the URLs with their credentials replaced by ***,
 * and no log line (stdout JSON log, stderr) holds a secret.
 */
const MQTT_SECRET = 'mqtt-Secret-7f3a9c';
const INFLUX_SECRET = 'influx-Secret-2b8d41';

async function influxql(url: string, q: string, auth?: { u: string; p: string }): Promise<void> {
  const params = new URLSearchParams({ q, ...(auth && { u: auth.u, p: auth.p }) });
  const res = await fetch(`${url}/query?${params.toString()}`, { method: 'POST' });
  const body = (await res.json()) as { results?: { error?: string }[] };
  if (res.status >= 300 || body.results?.[0]?.error) throw new Error(`${q}: ${res.status} ${JSON.stringify(body)}`);
}

describe('F7: secrets in URLs never leave the service', () => {
  const influx = useInflux({ authEnabled: true });
  let mosq: TestMosquitto;
  let dataDir: string;
  let svc: ServiceProcess;
  let adminToken: string;
  let operatorToken: string;
  let influxPort: string;

  beforeAll(async () => {
    mosq = await startMosquitto();
    await influxql(influx.url, `CREATE USER kzm WITH PASSWORD '${INFLUX_SECRET}' WITH ALL PRIVILEGES`);
    influxPort = new URL(influx.url).port;
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-secrets-'));
    adminToken = (await addUser(usersFilePath(dataDir), { name: 'root', role: 'admin' })).token;
    operatorToken = (await addUser(usersFilePath(dataDir), { name: 'ops', role: 'operator' })).token;
    svc = await spawnService({
      KZM_DATA_DIR: dataDir,
      KZM_HTTP_PORT: String(await freePort()),
      KZM_HTTP_ALLOW_ANONYMOUS: 'false',
      KZM_MQTT_BROKER_URL: `mqtt://mon:${MQTT_SECRET}@127.0.0.1:${mosq.port}`,
      KZM_MQTT_CLIENT_ID: `kzm-secrets-${process.pid}`,
      KZM_INFLUX_URL: `http://kzm:${INFLUX_SECRET}@127.0.0.1:${influxPort}`,
      KZM_INFLUX_DATABASE: 'secrets',
    });
  }, 90_000);
  afterAll(async () => {
    await svc?.kill('SIGTERM');
    await mosq?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const health = async (token?: string) => {
    const res = await fetch(`${svc.httpUrl}/health`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, text: await res.text() };
  };

  it("the public /health (no login) and an operator's name no URL, address or secret (was: the broker URL with its secret)", async () => {
    for (const token of [undefined, operatorToken]) {
      const h = await health(token);
      expect(h.status).toBe(200);
      expect(h.text).not.toContain(MQTT_SECRET);
      expect(h.text).not.toContain(INFLUX_SECRET);
      expect(h.text).not.toContain(`:${mosq.port}`);
      expect(h.text).not.toContain(`:${influxPort}`);
      expect(JSON.parse(h.text)).toMatchObject({
        status: 'ok',
        broker: { connected: true },
        influx: { reachable: true },
      });
    }
  });

  it("an admin's /health gives both URLs without their secrets", async () => {
    const h = JSON.parse((await health(adminToken)).text) as { broker: { url: string }; influx: { url: string } };
    expect(h.broker.url).toBe(`mqtt://***@127.0.0.1:${mosq.port}`);
    // InfluxDB's URL credentials were moved into the Authorization header: the URL itself holds none
    expect(h.influx.url).toBe(`http://127.0.0.1:${influxPort}`);
  });

  it('no log line holds a secret, also when the broker goes away and the client reconnects (was: printed twice)', async () => {
    await mosq.stop();
    const out = await eventually(
      async () => svc.output(),
      (o) => /Reconnecting to MQTT broker/.test(o.stdout),
    );
    expect(out.stdout).toMatch(/Reconnecting to MQTT broker/);
    const all = out.stdout + out.stderr;
    expect(all).not.toContain(MQTT_SECRET);
    expect(all).not.toContain(INFLUX_SECRET);
    // the URLs are still logged, redacted, so an operator can tell which broker is meant
    expect(all).toContain(`mqtt://***@127.0.0.1:${mosq.port}`);
  });
});
