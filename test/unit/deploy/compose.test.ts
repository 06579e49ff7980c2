import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { envVarNames, loadConfig } from '../../../src/config/load.ts';
import { parseSimulateArgs } from '../../../simulator/index.ts';
import {
  ROOT,
  SECRETS,
  commandOf,
  containerPorts,
  envOf,
  exists,
  interpolate,
  loadCompose,
  mountsOf,
  type ComposeFile,
} from './compose-file.ts';

// SECRETS stand for the .env values (no default secrets: a test below checks compose refuses without them).
const DEFAULTS = loadCompose(SECRETS);
// The same checks must hold when an operator overrides the variables in .env.
const OVERRIDDEN = loadCompose({
  ...SECRETS,
  INFLUX_ORG: 'acme',
  INFLUX_BUCKET: 'meters',
  INFLUX_TOKEN: 's3cret-token',
  LOG_LEVEL: 'debug',
});
// The profile scale-out (compose-scale-out.test.ts) adds Mosquitto and two ingesters; the checks below hold for it too.
const SCALE_OUT = loadCompose({ ...SECRETS, INGEST_MQTT_PASSWORD: 'ingest-secret' }, { profiles: ['scale-out'] });
const SCALE_OUT_OVERRIDDEN = loadCompose(
  { ...SECRETS, INGEST_MQTT_PASSWORD: 'x', INFLUX_ORG: 'acme', INFLUX_BUCKET: 'meters', LOG_LEVEL: 'debug' },
  { profiles: ['scale-out'] },
);
const variants: [string, ComposeFile][] = [
  ['defaults', DEFAULTS],
  ['overridden .env', OVERRIDDEN],
  ['profile scale-out', SCALE_OUT],
  ['profile scale-out, overridden .env', SCALE_OUT_OVERRIDDEN],
];
const models: [string, ComposeFile][] = [
  ['default', DEFAULTS],
  ['scale-out', SCALE_OUT],
];

const influxInit = (c: ComposeFile) => envOf(c.services.influxdb!);
const serviceConfig = (c: ComposeFile) => loadConfig({ env: envOf(c.services.service!) });
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
/** The image's ENTRYPOINT (exec form): a compose `command` is its arguments. */
const entrypoint = JSON.parse(/^ENTRYPOINT\s+(\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
/** What a container of the image runs: the entrypoint and the service's command. */
const argvOf = (svc: Parameters<typeof commandOf>[0]) => [...entrypoint, ...commandOf(svc)];

describe('interpolate (compose variable syntax)', () => {
  it.each([
    { name: 'default when unset', text: '${A:-x}', env: {}, want: 'x' },
    { name: 'default when empty', text: '${A:-x}', env: { A: '' }, want: 'x' },
    { name: 'empty kept with -', text: '${A-x}', env: { A: '' }, want: '' },
    { name: 'value wins', text: 'Token ${A:-x}', env: { A: 'y' }, want: 'Token y' },
    { name: 'bare and escaped', text: '$A $$A', env: { A: 'y' }, want: 'y $A' },
    { name: 'required and set', text: '${A:?set A}', env: { A: 'y' }, want: 'y' },
  ])('$name', ({ text, env, want }) => expect(interpolate(text, env)).toBe(want));
  it('a required variable left unset stops with its message', () =>
    expect(() => interpolate('${A:?set A in .env}', {})).toThrow(/A is missing a value: set A in .env/));
});

describe('docker-compose.yml: safe defaults (issue 11)', () => {
  it.each(Object.keys(SECRETS))('refuses to start without %s: no default secrets', (name) => {
    expect(() => loadCompose({ ...SECRETS, [name]: undefined })).toThrow(new RegExp(`${name} is missing`));
  });

  it('does not publish InfluxDB; publishes the broker only over TLS and HTTP/Grafana only on loopback', () => {
    expect(DEFAULTS.services.influxdb!.ports ?? []).toEqual([]);
    const svc = DEFAULTS.services.service!;
    const cfg = serviceConfig(DEFAULTS);
    const published = (svc.ports ?? []).map(String);
    expect(cfg.mqtt.tls?.port).toBe(8883);
    expect(published).toContain('8883:8883');
    expect(published.some((p) => p.endsWith(`:${cfg.mqtt.embeddedPort}`))).toBe(false);
    expect(published.filter((p) => !p.startsWith('8883')).every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
    expect((DEFAULTS.services.grafana!.ports ?? []).map(String).every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
    expect(envOf(DEFAULTS.services.grafana!).GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(cfg.mqtt.allowAnonymous).toBe(false);
    expect(cfg.http.allowAnonymous).toBe(false);
  });
});

describe('docker-compose.yml', () => {
  it('has the four services and a healthcheck wherever another service waits for health', () => {
    expect(Object.keys(DEFAULTS.services).sort()).toEqual(['grafana', 'influxdb', 'service', 'simulator']);
    expect(DEFAULTS.services.influxdb!.image).toMatch(/^influxdb:2\.\d/);
    for (const [model, compose] of models)
      for (const [name, svc] of Object.entries(compose.services)) {
        const deps = svc.depends_on ?? {};
        expect(Array.isArray(deps), `${model} ${name}: depends_on in the long form with a condition`).toBe(false);
        for (const [dep, { condition }] of Object.entries(deps as Record<string, { condition?: string }>)) {
          expect(condition, `${model} ${name} -> ${dep}`).toBe('service_healthy');
          const hc = compose.services[dep]?.healthcheck;
          expect(hc?.test && !hc.disable, `${model} ${dep} needs a healthcheck (${name} waits for it)`).toBeTruthy();
        }
      }
    expect(Object.keys(DEFAULTS.services.service!.depends_on ?? {})).toContain('influxdb');
    expect(Object.keys(DEFAULTS.services.simulator!.depends_on ?? {})).toContain('service');
    expect(Object.keys(DEFAULTS.services.grafana!.depends_on ?? {})).toContain('influxdb');
  });

  it('initialises InfluxDB 2.x with org, bucket and admin token', () => {
    const e = influxInit(DEFAULTS);
    expect(e.DOCKER_INFLUXDB_INIT_MODE).toBe('setup');
    for (const k of ['USERNAME', 'PASSWORD', 'ORG', 'BUCKET', 'ADMIN_TOKEN'])
      expect(e[`DOCKER_INFLUXDB_INIT_${k}`], k).toBeTruthy();
    expect(e.DOCKER_INFLUXDB_INIT_PASSWORD!.length, 'influx setup wants 8+ characters').toBeGreaterThanOrEqual(8);
  });

  describe.each(variants)('with %s', (_label, compose) => {
    it.each(Object.keys(compose.services))(
      '%s: every KZM_* variable is a known setting and the environment passes the config schema',
      (name) => {
        const env = envOf(compose.services[name]!);
        const known = envVarNames();
        for (const key of Object.keys(env).filter((k) => k.startsWith('KZM_')))
          expect(known.has(key) || key === 'KZM_CONFIG', `${name}: ${key} is not a setting`).toBe(true);
        expect(() => loadConfig({ env })).not.toThrow();
      },
    );

    it('the service writes to the influxdb service with the org, bucket and token InfluxDB was initialised with', () => {
      const cfg = serviceConfig(compose);
      const init = influxInit(compose);
      const url = new URL(cfg.influx.url!);
      expect(url.hostname).toBe('influxdb');
      // InfluxDB 2.x listens on 8086 in its container (not published on the host)
      expect(Number(url.port)).toBe(8086);
      expect(cfg.influx.apiVersion).toBe('2');
      expect(cfg.influx.org).toBe(init.DOCKER_INFLUXDB_INIT_ORG);
      expect(cfg.influx.bucket).toBe(init.DOCKER_INFLUXDB_INIT_BUCKET);
      expect(cfg.influx.token).toBe(init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
      expect(cfg.influx.createIfMissing, 'the service creates the DBRP mapping Grafana queries through').toBe(true);
    });

    it('the service listens on all interfaces, publishes its ports, and its healthcheck asks its HTTP port', () => {
      const svc = compose.services.service!;
      const cfg = serviceConfig(compose);
      expect(cfg.http.host).toBe('0.0.0.0');
      expect(cfg.mqtt.embeddedHost).toBe('0.0.0.0');
      expect(cfg.mqtt.brokerUrl, 'the stack uses the embedded broker').toBeUndefined();
      expect(containerPorts(svc)).toEqual(expect.arrayContaining([cfg.http.port, cfg.mqtt.tls!.port]));
      const test = [svc.healthcheck?.test ?? []].flat().join(' ');
      expect(test).toContain(`:${cfg.http.port}/health`);
      expect(test).toContain('fetch(');
    });

    it("the simulator publishes to the service's MQTT port with valid simulate flags", () => {
      const cmd = argvOf(compose.services.simulator!);
      const i = cmd.indexOf('src/cli/main.ts');
      expect(i, 'runs the CLI entry').toBeGreaterThan(-1);
      expect(cmd[i + 1]).toBe('simulate');
      const args = parseSimulateArgs(cmd.slice(i + 2), envOf(compose.services.simulator!));
      const broker = new URL(args.options.brokerUrl);
      expect(broker.protocol).toBe('mqtt:');
      expect(broker.hostname).toBe('service');
      expect(Number(broker.port || 1883)).toBe(serviceConfig(compose).mqtt.embeddedPort);
      const scenario = args.options.scenario;
      if (typeof scenario === 'string') expect(exists(scenario), scenario).toBe(true);
      expect(compose.services.simulator!.image).toBe(compose.services.service!.image);
    });

    it("Grafana's datasource points at the influxdb service with the database and token the service uses", () => {
      const prov = parseYaml(
        readFileSync(join(ROOT, 'dashboards/grafana/provisioning/datasources/kzmeter-influxdb.yaml'), 'utf8'),
      ) as {
        datasources: {
          uid: string;
          type: string;
          url: string;
          jsonData: Record<string, string>;
          secureJsonData: Record<string, string>;
        }[];
      };
      const ds = prov.datasources[0]!;
      const genv = envOf(compose.services.grafana!);
      const cfg = serviceConfig(compose);
      const url = new URL(ds.url);
      expect(ds.type).toBe('influxdb');
      expect(url.hostname).toBe('influxdb');
      // InfluxDB 2.x listens on 8086 in its container (not published on the host)
      expect(Number(url.port)).toBe(8086);
      expect(ds.jsonData.version).toBe('InfluxQL');
      // Grafana expands $VAR / ${VAR} in provisioning files from its own environment.
      expect(interpolate(ds.jsonData.dbName!, genv)).toBe(cfg.influx.database);
      expect(ds.jsonData.httpHeaderName1).toBe('Authorization');
      expect(interpolate(ds.secureJsonData.httpHeaderValue1!, genv)).toBe(
        `Token ${influxInit(compose).DOCKER_INFLUXDB_INIT_ADMIN_TOKEN}`,
      );
    });
  });

  it('the service and simulator run node on the CLI entry (through the image entrypoint) with a known command', () => {
    for (const [name, command] of [
      ['service', 'serve'],
      ['simulator', 'simulate'],
    ] as const) {
      const cmd = argvOf(DEFAULTS.services[name]!);
      expect(cmd.slice(0, 3), name).toEqual(['node', '--import', 'tsx']);
      expect(exists(cmd[3]!), `${name}: ${cmd[3]}`).toBe(true);
      expect(cmd[4], name).toBe(command);
    }
  });

  it.each(models)(
    '%s: pins every image it pulls to a release (no latest, no floating major or minor)',
    (_m, compose) => {
      for (const [name, svc] of Object.entries(compose.services)) {
        if ((svc as { build?: unknown }).build) continue;
        expect(svc.image, name).toMatch(/^[\w./-]+:\d+\.\d+\.\d+(-[\w.]+)?$/);
      }
    },
  );

  it.each(models)('%s: every file or folder mounted from the repository exists', (_m, compose) => {
    const named = Object.keys(compose.volumes ?? {});
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const m of mountsOf(svc)) {
        if (m.bind) expect(exists(m.source), `${name}: ${m.source}`).toBe(true);
        else expect(named, `${name}: named volume ${m.source} is declared`).toContain(m.source);
      }
    }
  });
});

describe('Dockerfile', () => {
  // Instructions, with backslash continuations joined (HEALTHCHECK ... \ CMD ... is one instruction).
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const froms = lines.filter((l) => /^FROM\s/i.test(l));
  const lastFrom = lines.lastIndexOf(froms[froms.length - 1]!);
  const runtime = lines.slice(lastFrom);

  it('is multi-stage: dependencies with npm ci, copied into the runtime stage', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.every((f) => /\sAS\s+\w+/i.test(f))).toBe(true);
    expect(lines.some((l) => /^RUN\s.*npm ci\b/.test(l))).toBe(true);
    expect(runtime.some((l) => /^COPY\s+--from=/i.test(l))).toBe(true);
  });

  it("runs as a non-root user with a healthcheck on /health by node's fetch", () => {
    const user = runtime.filter((l) => /^USER\s/i.test(l)).pop();
    expect(user, 'USER in the runtime stage').toBeDefined();
    expect(user!.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
    const hc = runtime.find((l) => /^HEALTHCHECK\s/i.test(l));
    expect(hc).toBeDefined();
    const hcText = dockerfile.slice(dockerfile.indexOf('HEALTHCHECK'));
    expect(hcText).toMatch(/fetch\(.*\/health/);
    expect(hcText.split('\n').slice(0, 3).join(' ')).not.toMatch(/\bcurl\b|\bwget\b/);
  });

  it('node itself is PID 1: ENTRYPOINT node --import tsx on a script that exists, CMD serve; tsx is a runtime dependency', () => {
    expect(entrypoint.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
    expect(exists(entrypoint[3]!), entrypoint[3]).toBe(true);
    expect(runtime.some((l) => /^ENTRYPOINT\s/i.test(l))).toBe(true);
    const cmd = runtime.find((l) => /^CMD\s/i.test(l));
    expect(JSON.parse(cmd!.replace(/^CMD\s+/i, ''))).toEqual(['serve']);
    expect(
      lines.filter((l) => /\bnpx\b/.test(l)),
      'no instruction runs npx',
    ).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies.tsx).toBeDefined();
  });

  it('builds on a pinned Node LTS release that satisfies package.json engines', () => {
    const args = Object.fromEntries(
      [...dockerfile.matchAll(/^ARG\s+(\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const),
    );
    const images = froms.map((f) => f.split(/\s+/)[1]!.replace(/^\$\{(\w+)\}$/, (_, k: string) => args[k] ?? k));
    for (const image of images) {
      const m = /^node:(\d+)\.(\d+)\.(\d+)-[a-z]+(-slim)?$/.exec(image);
      expect(m, `${image}: node:<major.minor.patch>-<debian>`).not.toBeNull();
      const [major, minor] = [Number(m![1]), Number(m![2])];
      // LTS lines are the even majors; 20 reached its end of life in 2026-04.
      expect(major % 2, `${image}: an LTS (even) major`).toBe(0);
      expect(major, image).toBeGreaterThanOrEqual(22);
      const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
        .engines.node;
      const [, emaj, emin] = /^>=(\d+)\.(\d+)/.exec(engines)!.map(Number);
      expect(major > emaj! || (major === emaj && minor >= emin!), `${image} satisfies ${engines}`).toBe(true);
    }
  });

  it('every ENV KZM_* default is a known setting and valid', () => {
    const env: Record<string, string> = {};
    const text = dockerfile.replace(/\\\n/g, ' ');
    for (const m of text.matchAll(/\b(KZM_\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
    expect(Object.keys(env).length).toBeGreaterThan(0);
    for (const k of Object.keys(env)) expect(envVarNames().has(k), k).toBe(true);
    expect(() => loadConfig({ env })).not.toThrow();
  });

  it('copies only sources that exist and that .dockerignore keeps in the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copies = lines.filter((l) => /^COPY\s/i.test(l) && !/--from=/i.test(l));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const parts = c
        .split(/\s+/)
        .slice(1)
        .filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect(exists(src), src).toBe(true);
        expect(ignored, `${src} is excluded by .dockerignore`).not.toContain(src);
      }
    }
    for (const needed of ['src', 'simulator', 'devices', 'tariffs', 'dashboards/web', 'package-lock.json'])
      expect(copies.join(' '), needed).toContain(needed);
    expect(ignored).toContain('node_modules');
  });
});
