/**
 * The Mosquitto of docker-compose.yml's scale-out profile, run for real: deploy/mosquitto/start.sh with
 * deploy/mosquitto/mosquitto.conf (container paths and ports moved to a temp dir and free loopback ports)
 * and Debian's mosquitto 2, started as root so that it drops to the mosquitto user as in the image.
 * The files come from `kzmeter broker-config mosquitto`; the meter publishes over TLS, two ingest clients
 * share `$share/ingest/meters/#` as ingest-1 and ingest-2 do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigMain } from '../../../src/cli/broker-config.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { freePort } from '../../../src/util/free-port.ts';
import { changeCredential } from '../../../src/auth/credential-admin.ts';
import { closed, issueCredentials, tryConnect, type IssuedCredential } from '../../helpers/mqtt-auth.ts';
import { eventually } from '../../helpers/eventually.ts';
import { makeTestPki, type TestPki } from '../../helpers/tls.ts';
import { ROOT, SECRETS, loadCompose } from './compose-file.ts';

const MOSQUITTO = '/usr/sbin/mosquitto';
const mosquittoIds = (() => {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'mosquitto'], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', 'mosquitto'], { encoding: 'utf8' })),
    };
  } catch {
    return undefined;
  }
})();
// As in the container: root starts the script, Mosquitto drops to its own user.
const runnable = existsSync(MOSQUITTO) && mosquittoIds !== undefined && process.getuid?.() === 0;
const registry = loadRegistry(join(ROOT, 'devices'));

/** docker-compose.yml's healthcheck of mosquitto (CMD-SHELL), for a listener moved to `port`; exit code 0 = healthy. */
function healthcheck(port: number): number {
  const test = loadCompose(SECRETS, { profiles: ['scale-out'] }).services.mosquitto!.healthcheck!.test as string[];
  expect(test[0]).toBe('CMD-SHELL');
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  expect(test[1]).toContain(':075B '); // 1883
  try {
    execFileSync('sh', ['-c', test[1]!.replace(':075B ', `:${hex} `)], { stdio: 'ignore' });
    return 0;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
}

describe.skipIf(!runnable)('deploy/mosquitto: the scale-out broker with Debian mosquitto', () => {
  let dir: string;
  let pki: TestPki;
  let creds: Record<string, IssuedCredential>;
  let sh: ChildProcess;
  let output = '';
  let plainUrl: string;
  let plainPort: number;
  let tlsUrl: string;
  const clients: MqttClient[] = [];
  const credFile = () => join(dir, 'data', 'credentials.yaml');

  /** `kzmeter broker-config mosquitto` as the compose docs run it: default output <dataDir>/mosquitto. */
  async function brokerConfig(): Promise<void> {
    const saved = { ...process.env };
    Object.assign(process.env, {
      KZM_REGISTRY_DIR: join(ROOT, 'devices'),
      KZM_MQTT_CREDENTIALS_FILE: credFile(),
      KZM_DATA_DIR: join(dir, 'data'),
    });
    try {
      expect(await brokerConfigMain(['mosquitto'], () => {})).toBe(0);
    } finally {
      for (const k of ['KZM_REGISTRY_DIR', 'KZM_MQTT_CREDENTIALS_FILE', 'KZM_DATA_DIR'])
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-mosq-profile-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'data'));
    creds = await issueCredentials(credFile(), registry, [{ id: 'kzm-ingest', kind: 'monitor' }, { id: 'ekb-1-m01' }]);
    await brokerConfig();
    mkdirSync(join(dir, 'tls'), { mode: 0o755 });
    pki = makeTestPki(join(dir, 'tls'));
    chmodSync(pki.key, 0o644); // deploy/tls/README.md: the key is readable by the containers' users
    // The image's entrypoint chowns /mosquitto (its data volume) to the mosquitto user.
    mkdirSync(join(dir, 'mdata'));
    chownSync(join(dir, 'mdata'), mosquittoIds!.uid, mosquittoIds!.gid);
    const [plain, tls] = [await freePort(), await freePort()];
    plainPort = plain;
    plainUrl = `mqtt://127.0.0.1:${plain}`;
    tlsUrl = `mqtts://127.0.0.1:${tls}`;
    let conf = readFileSync(join(ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8');
    for (const [from, to] of [
      ['/mosquitto/data/', `${dir}/mdata/`],
      ['/mosquitto/auth/', `${dir}/auth/`],
      ['/kzmeter/tls/', `${dir}/tls/`],
      [/^listener 1883$/m, `listener ${plain} 127.0.0.1`],
      [/^listener 8883$/m, `listener ${tls} 127.0.0.1`],
    ] as const) {
      expect(conf, String(from)).toMatch(from);
      conf = conf.replaceAll(from instanceof RegExp ? new RegExp(from, 'gm') : from, to);
    }
    writeFileSync(join(dir, 'mosquitto.conf'), conf);
    sh = spawn('sh', [join(ROOT, 'deploy/mosquitto/start.sh')], {
      env: {
        ...process.env,
        MOSQUITTO_AUTH_SRC: join(dir, 'data', 'mosquitto'),
        MOSQUITTO_AUTH_DIR: join(dir, 'auth'),
        MOSQUITTO_CONF: join(dir, 'mosquitto.conf'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: afterAll can stop the script and mosquitto by that id
    });
    sh.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    sh.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await eventually(
      async () =>
        sh.exitCode === null &&
        typeof (await tryConnect(plainUrl, { clientId: 'probe' }).catch(() => undefined)) === 'number',
      Boolean,
      10_000,
      { what: "the profile's mosquitto to answer CONNECT", show: () => `not started; its output: ${output}` },
    );
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    // The whole process group, even if the script is gone: a mosquitto it left behind is still in it.
    if (sh?.pid !== undefined)
      try {
        process.kill(-sh.pid, 'SIGKILL');
      } catch {}
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (url: string, opts: mqtt.IClientOptions) => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...opts });
    clients.push(c);
    return c;
  };

  it('copies the password and ACL files to a folder of the mosquitto user only', () => {
    for (const f of ['passwd', 'acl']) {
      const st = statSync(join(dir, 'auth', f));
      expect(st.uid, f).toBe(mosquittoIds!.uid);
      expect(st.mode & 0o777, f).toBe(0o600);
      expect(readFileSync(join(dir, 'auth', f), 'utf8')).toBe(readFileSync(join(dir, 'data', 'mosquitto', f), 'utf8'));
    }
    expect(statSync(join(dir, 'auth')).mode & 0o777).toBe(0o700);
  });

  it('refuses anonymous clients and the ingest identity with an empty password (INGEST_MQTT_PASSWORD unset)', async () => {
    expect(await tryConnect(plainUrl, { clientId: 'anon' })).toBe(5);
    expect([4, 5]).toContain(await tryConnect(plainUrl, { clientId: 'x', username: 'kzm-ingest', password: '' }));
  });

  it("two ingest sessions in one $share group split a meter's TLS stream: every message delivered once", async () => {
    const got = new Map<string, string[]>();
    for (const id of ['kzmeter-ingest-1', 'kzmeter-ingest-2']) {
      const c = await connect(plainUrl, { clientId: id, clean: false, ...creds['kzm-ingest']! });
      got.set(id, []);
      c.on('message', (_t, payload) => got.get(id)!.push(payload.toString()));
      const granted = await c.subscribeAsync('$share/ingest/meters/#', { qos: 1 });
      expect(granted[0]?.qos).toBe(1);
    }
    const meter = await connect(tlsUrl, { clientId: 'ekb-1-m01', ca: readFileSync(pki.ca), ...creds['ekb-1-m01']! });
    const sent = Array.from({ length: 40 }, (_, i) => JSON.stringify({ ts: 1_751_328_000_000 + i * 60_000, kwh: i }));
    for (const p of sent) await meter.publishAsync('meters/ekb-1-m01/reading', p, { qos: 1 });
    const all = () => [...got.values()].flat();
    await eventually(
      async () => all().length,
      (n) => n >= sent.length,
      10_000,
    );
    expect(all().sort()).toEqual([...sent].sort());
    for (const [id, list] of got) expect(list.length, `${id} took a share`).toBeGreaterThan(0);
  });

  it('SIGHUP copies regenerated files and reloads them: a newly issued meter connects, sessions stay', async () => {
    const added = await issueCredentials(credFile(), registry, [{ id: 'ekb-1-m02' }]);
    Object.assign(creds, added);
    await brokerConfig();
    const opts = { clientId: 'ekb-1-m02', ca: readFileSync(pki.ca), ...added['ekb-1-m02']! };
    expect([4, 5]).toContain(await tryConnect(tlsUrl, opts));
    sh.kill('SIGHUP');
    const c = await eventually(
      async () => tryConnect(tlsUrl, opts).catch(() => -1),
      (r) => typeof r !== 'number',
      10_000,
      { what: 'the newly issued meter to connect after SIGHUP', show: (r) => `${String(r)}; output: ${output}` },
    );
    expect(typeof c, output).not.toBe('number');
    clients.push(c as MqttClient);
    expect(clients.filter((x) => x.options.clientId?.startsWith('kzmeter-ingest')).every((x) => x.connected)).toBe(
      true,
    );
  });

  it("SIGHUP after a revocation closes that identity's connection; the ingest sessions stay", async () => {
    const meter = clients.find((x) => x.options.clientId === 'ekb-1-m01')!;
    expect(meter.connected).toBe(true);
    await changeCredential({
      file: credFile(),
      action: 'revoke',
      id: 'ekb-1-m01',
      meterIds: new Set(registry.meters.map((m) => m.id)),
    });
    await brokerConfig();
    sh.kill('SIGHUP');
    await closed(meter, 10_000);
    const ingest = clients.filter((x) => x.options.clientId?.startsWith('kzmeter-ingest'));
    expect(ingest.length).toBe(2);
    expect(ingest.every((x) => x.connected)).toBe(true);
  });

  it("F5: a meter on the TLS listener sending an ingester's client id gets its own session; the ingester keeps its", async () => {
    const ingest1 = clients.find((x) => x.options.clientId === 'kzmeter-ingest-1')!;
    const m = await connect(tlsUrl, {
      clientId: 'kzmeter-ingest-1',
      clean: true,
      ca: readFileSync(pki.ca),
      ...creds['ekb-1-m02']!,
    });
    // Mosquitto named the session after the username: a round trip on the meter's own topic, then the ingester
    await m.subscribeAsync('meters/ekb-1-m02/#', { qos: 1 });
    const echo = new Promise<void>((r) => m.once('message', () => r()));
    await m.publishAsync('meters/ekb-1-m02/reading', JSON.stringify({ ts: 1_751_328_000_000, kwh: 1 }), { qos: 1 });
    await echo;
    expect(ingest1.connected).toBe(true);
  });

  it("compose's healthcheck sees Mosquitto listening (without connecting to it)", () => {
    expect(healthcheck(plainPort)).toBe(0);
  });

  it('SIGTERM stops Mosquitto and the script with it', async () => {
    const exited = new Promise<number | null>((r) => sh.once('exit', (code) => r(code)));
    sh.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    expect(code, output).toBe(0);
    expect(typeof (await tryConnect(plainUrl, { clientId: 'after' }).catch(() => 'down'))).toBe('string');
    expect(healthcheck(plainPort), 'unhealthy once stopped').not.toBe(0);
  });
});
