/**
 * docker-compose.yml's scale-out profile (issue 14): Mosquitto and two `kzmeter serve` ingesters on one shared
 * subscription. The files are checked as `docker compose --profile scale-out` reads them (no Docker engine here);
 * mosquitto-profile.test.ts runs the broker configuration itself with Debian's mosquitto.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadConfig } from '../../../src/config/load.ts';
import { parseSimulateArgs } from '../../../simulator/index.ts';
import { readmeMosquittoSnippet } from '../../helpers/readme-snippet.ts';
import {
  ROOT,
  SECRETS,
  commandOf,
  envOf,
  hostPorts,
  loadCompose,
  mountsOf,
  startedBy,
  type ComposeFile,
  type ComposeService,
} from './compose-file.ts';

const PROFILE = { profiles: ['scale-out'] };
const SCALE = loadCompose({ ...SECRETS, INGEST_MQTT_PASSWORD: 'ingest-secret' }, PROFILE);
const INGESTERS = ['ingest-1', 'ingest-2'] as const;
const svc = (c: ComposeFile, name: string): ComposeService => {
  const s = c.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
/** The image's ENV KZM_* defaults (KZM_DATA_DIR=/app/data), under the service's environment. */
const imageEnv = Object.fromEntries(
  [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/\b(KZM_\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]),
);
const configOf = (c: ComposeFile, name: string) => loadConfig({ env: { ...imageEnv, ...envOf(svc(c, name)) } });

/** The repository file a service mounts at `target` (bind mounts only). */
function mountedFile(s: ComposeService, target: string): string {
  const m = mountsOf(s).find((x) => x.target === target);
  if (!m?.bind) throw new Error(`nothing bind-mounted at ${target}`);
  return m.source.replace(/^\.\//, '');
}

/** Mosquitto's configuration as directives; certfile/keyfile belong to the listener above them. */
function mosquittoDirectives(text: string) {
  const global = new Map<string, string>();
  const listeners: { port: number; bind?: string; options: Map<string, string> }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    const value = rest.join(' ');
    if (key === 'listener') {
      const [port, bind] = rest;
      listeners.push({ port: Number(port), ...(bind !== undefined && { bind }), options: new Map() });
    } else if (['certfile', 'keyfile', 'cafile'].includes(key!)) listeners.at(-1)?.options.set(key!, value);
    else global.set(key!, value);
  }
  return { global, listeners };
}

const mosquitto = svc(SCALE, 'mosquitto');
const mosqCommand = commandOf(mosquitto);
const startScript = mountedFile(mosquitto, mosqCommand[1]!);
const startText = readFileSync(join(ROOT, startScript), 'utf8');
/** The script's path defaults, e.g. ${MOSQUITTO_CONF:-/kzmeter/mosquitto.conf}. */
const scriptDefault = (name: string) => new RegExp(`\\$\\{${name}:-([^}]+)\\}`).exec(startText)?.[1];
const confTarget = scriptDefault('MOSQUITTO_CONF')!;
const confText = readFileSync(join(ROOT, mountedFile(mosquitto, confTarget)), 'utf8');
const conf = mosquittoDirectives(confText);

describe('docker-compose.yml, profile scale-out', () => {
  it('adds Mosquitto, two ingesters and a simulator, only under that profile', () => {
    const plain = loadCompose(SECRETS);
    const added = Object.keys(SCALE.services).filter((n) => !(n in plain.services));
    expect(added.sort()).toEqual(['ingest-1', 'ingest-2', 'mosquitto', 'scale-simulator']);
    for (const n of added) expect(svc(SCALE, n).profiles, n).toEqual(['scale-out']);
    // The default services are the same with or without the profile.
    for (const [n, s] of Object.entries(plain.services)) expect(SCALE.services[n], n).toEqual(s);
  });

  it('both ingesters subscribe through Mosquitto in one shared group, each with its own fixed client id', () => {
    const [a, b] = INGESTERS.map((n) => configOf(SCALE, n));
    const plainListener = conf.listeners.find((l) => !l.options.has('certfile'))!;
    for (const cfg of [a!, b!]) {
      const url = new URL(cfg.mqtt.brokerUrl!);
      expect(url.protocol).toBe('mqtt:');
      expect(url.hostname).toBe('mosquitto');
      expect(Number(url.port || 1883)).toBe(plainListener.port);
      expect(cfg.mqtt.username).toBe('kzm-ingest');
      expect(cfg.mqtt.password).toBe('ingest-secret');
      // Unset settle: 10 s with a shared group, so two ingesters writing one meter-hour end with the right rollup.
      expect(cfg.rollup.settleMs).toBeUndefined();
    }
    expect(a!.mqtt.sharedGroup).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(b!.mqtt.sharedGroup).toBe(a!.mqtt.sharedGroup);
    expect(a!.mqtt.clientId).not.toBe(b!.mqtt.clientId);
    expect(a!.mqtt.brokerUrl).toBe(b!.mqtt.brokerUrl);
  });

  it('both ingesters write to the same InfluxDB, database, org and bucket as the service, with its token', () => {
    const service = configOf(SCALE, 'service');
    for (const n of INGESTERS) {
      const { influx } = configOf(SCALE, n);
      const want = service.influx;
      expect([influx.url, influx.apiVersion, influx.database, influx.org, influx.bucket, influx.token], n).toEqual([
        want.url,
        want.apiVersion,
        want.database,
        want.org,
        want.bucket,
        want.token,
      ]);
    }
  });

  it("each ingester has its own data directory; ingest-1 takes the service's (users, identities, periods) and HTTP port", () => {
    const dataVolume = (n: string) => mountsOf(svc(SCALE, n)).find((m) => m.target === configOf(SCALE, n).dataDir);
    const [one, two, service] = ['ingest-1', 'ingest-2', 'service'].map(dataVolume);
    expect(one?.bind).toBe(false);
    expect(two?.bind).toBe(false);
    expect(one!.source).not.toBe(two!.source);
    expect(one!.source).toBe(service!.source);
    expect(configOf(SCALE, 'ingest-1').mqtt.credentialsFile).toBe(configOf(SCALE, 'service').mqtt.credentialsFile);
    expect(hostPorts(svc(SCALE, 'ingest-1'))).toEqual(hostPorts(svc(SCALE, 'service')).filter((p) => /:8080$/.test(p)));
    expect(hostPorts(svc(SCALE, 'ingest-2')), 'ingest-2: compose network only').toEqual([]);
    for (const n of INGESTERS) expect(configOf(SCALE, n).http.host, n).toBe('0.0.0.0');
  });

  it('the scale-out simulator is the default one publishing to Mosquitto, after both ingesters are up', () => {
    const sim = svc(SCALE, 'scale-simulator');
    const cmd = commandOf(sim);
    expect(cmd[0]).toBe('simulate');
    const args = parseSimulateArgs(cmd.slice(1), envOf(sim));
    const url = new URL(args.options.brokerUrl);
    expect(url.hostname).toBe('mosquitto');
    expect(envOf(sim)).toEqual(envOf(svc(SCALE, 'simulator')));
    const withoutBroker = (c: string[]) => c.filter((x, i) => x !== '--broker' && c[i - 1] !== '--broker');
    expect(withoutBroker(cmd)).toEqual(withoutBroker(commandOf(svc(SCALE, 'simulator'))));
    expect(Object.keys(sim.depends_on ?? {}).sort()).toEqual([...INGESTERS]);
  });

  it("Mosquitto's configuration is the README's: persistence, no in-flight or queue limit, no anonymous clients", () => {
    for (const line of readmeMosquittoSnippet().split('\n')) {
      const l = line.trim();
      if (!l || l.startsWith('#') || l.startsWith('persistence_location')) continue;
      const [key, value] = l.split(/\s+/);
      expect(conf.global.get(key!), key).toBe(value);
    }
    expect(conf.global.get('max_queued_messages')).toBe('0');
    expect(conf.global.get('max_queued_bytes')).toBe('0');
    expect(conf.global.get('persistence')).toBe('true');
    expect(conf.global.get('allow_anonymous')).toBe('false');
    // Persistence on a named volume, so a new container keeps the queued sessions.
    const store = mountsOf(mosquitto).find((m) => conf.global.get('persistence_location')!.startsWith(m.target));
    expect(store?.bind).toBe(false);
    expect(Object.keys(SCALE.volumes ?? {})).toContain(store!.source);
  });

  it("Mosquitto enforces broker-config's password and ACL files, which start.sh copies from the service's data volume", () => {
    const authDir = scriptDefault('MOSQUITTO_AUTH_DIR')!;
    expect(conf.global.get('password_file')).toBe(`${authDir}/passwd`);
    expect(conf.global.get('acl_file')).toBe(`${authDir}/acl`);
    // broker-config writes to <dataDir>/mosquitto by default: a volume of its own mounted there in the service
    // and read-only in Mosquitto, which sees nothing else of the data volume (issue 26: no volume subpath, which
    // Debian's docker-compose 1.29 cannot read).
    const src = mountsOf(mosquitto).find((m) => m.target === scriptDefault('MOSQUITTO_AUTH_SRC'));
    const dataDir = configOf(SCALE, 'service').dataDir;
    for (const writer of ['service', 'ingest-1']) {
      const mounts = mountsOf(svc(SCALE, writer));
      const auth = mounts.find((m) => m.target === `${dataDir}/mosquitto`);
      expect(auth, writer).toMatchObject({ source: src!.source, bind: false, readOnly: false });
      expect(mounts.find((m) => m.target === dataDir)!.source).not.toBe(src!.source);
    }
    expect(src).toMatchObject({ readOnly: true, bind: false });
    expect(src!.subpath).toBeUndefined();
    expect(Object.keys(SCALE.volumes ?? {})).toContain(src!.source);
    expect(mosqCommand[0]).toBe('/bin/sh');
    expect(startText).toContain('/usr/sbin/mosquitto -c "$conf"');
  });

  it("meters reach Mosquitto only over TLS, with the service's certificate; plain MQTT stays on the compose network", () => {
    const tls = conf.listeners.filter((l) => l.options.has('certfile'));
    expect(tls.map((l) => l.port)).toEqual([8883]);
    const service = configOf(SCALE, 'service');
    const cert = tls[0]!.options.get('certfile')!;
    const key = tls[0]!.options.get('keyfile')!;
    expect(basename(cert)).toBe(basename(service.mqtt.tls!.certFile));
    expect(basename(key)).toBe(basename(service.mqtt.tls!.keyFile));
    expect(dirname(cert)).toBe(dirname(key));
    expect(mountedFile(mosquitto, dirname(cert))).toBe(
      mountedFile(svc(SCALE, 'service'), dirname(service.mqtt.tls!.certFile)),
    );
    expect(mountsOf(mosquitto).find((m) => m.target === dirname(cert))?.readOnly).toBe(true);
    expect(hostPorts(mosquitto)).toEqual(['0.0.0.0:8883']);
  });

  it('pins Mosquitto 2 to a release', () => {
    expect(mosquitto.image).toMatch(/^eclipse-mosquitto:2\.\d+\.\d+$/);
  });
});

describe('docker-compose.yml, profile scale-out: no default secrets', () => {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n');
  const uses = [...text.matchAll(/\$\{(\w+)(:?[-?])?([^}]*)\}/g)].map(([, name, op, rest]) => ({ name, op, rest }));

  it('every secret is required (${VAR:?}) or empty when unset, never a default value', () => {
    const secrets = uses.filter((u) => /PASSWORD|TOKEN|SECRET/.test(u.name!));
    expect(secrets.map((u) => u.name)).toContain('INGEST_MQTT_PASSWORD');
    for (const u of secrets) if (u.op !== ':?') expect([u.name, u.op, u.rest]).toEqual([u.name, ':-', '']);
  });

  it('asks nothing more of .env than the default stack (compose interpolates every service, whatever the profile)', () => {
    expect(() => loadCompose(SECRETS, PROFILE)).not.toThrow();
    const required = new Set(uses.filter((u) => u.op === ':?' || u.op === '?').map((u) => u.name));
    expect([...required].sort()).toEqual(Object.keys(SECRETS).sort());
  });

  it('without INGEST_MQTT_PASSWORD the ingesters send an empty password, which Mosquitto refuses', () => {
    const bare = loadCompose(SECRETS, PROFILE);
    for (const n of INGESTERS) expect(envOf(svc(bare, n)).KZM_MQTT_PASSWORD, n).toBe('');
  });
});

describe('docs/deploy.md: starting the scale-out profile', () => {
  const docs = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
  const header = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const command = /docker compose --profile scale-out up -d --build ((?:[\w-]+ ?)+)$/m;
  const targets = command.exec(docs)?.[1]?.trim().split(' ') ?? [];

  it('names the services to start, and docker-compose.yml says the same', () => {
    expect(targets.length).toBeGreaterThan(0);
    expect(command.exec(header)?.[1]?.trim().split(' ')).toEqual(targets);
  });

  it('starts Mosquitto, InfluxDB and both ingesters but not the service or its simulator, and no two bind one host port', () => {
    const started = startedBy(SCALE, targets);
    for (const n of ['influxdb', 'mosquitto', ...INGESTERS, 'scale-simulator']) expect(started, n).toContain(n);
    expect(started).not.toContain('service');
    expect(started).not.toContain('simulator');
    const ports = [...started].flatMap((n) => hostPorts(svc(SCALE, n)));
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("the whole profile (no names given) would bind the service's host ports twice: why the docs name services", () => {
    const all = Object.values(SCALE.services).flatMap(hostPorts);
    expect(new Set(all).size).toBeLessThan(all.length);
    expect(docs).toMatch(/Name the services/);
  });
});
