/** Reading docker-compose.yml the way `docker compose` does, for the deploy tests (no Docker engine here). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const ROOT = join(import.meta.dirname, '../../..');

/** The .env values compose requires (no default secrets): any values do for the deploy tests. */
export const SECRETS = {
  INFLUX_ADMIN_PASSWORD: 'a-long-admin-password',
  INFLUX_TOKEN: 'generated-token-0123456789abcdef',
  GRAFANA_ADMIN_PASSWORD: 'grafana-password',
  SIM_MQTT_PASSWORD: 'simulator-secret',
};

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number })[];
  volumes?: (
    string | { type?: string; source?: string; target: string; read_only?: boolean; volume?: { subpath?: string } }
  )[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  profiles?: string[];
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR and $$. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)/g,
    (whole, braced?: string, op?: string, dflt?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare)!;
      const value = env[name];
      if (op === ':-') return value === undefined || value === '' ? dflt! : value;
      if (op === '-') return value === undefined ? dflt! : value;
      // required: compose stops with the message
      if ((op === ':?' && (value === undefined || value === '')) || (op === '?' && value === undefined))
        throw new Error(`required variable ${name} is missing a value: ${dflt}`);
      return value ?? '';
    },
  );
}

/**
 * docker-compose.yml parsed after interpolation with `env` (default: no variables set, so every default applies),
 * as `docker compose --profile P ...` sees it: YAML merge keys (`<<: *anchor`) resolved, the whole file
 * interpolated first (a required variable of any service stops compose, whatever the profile), then the
 * services of inactive profiles left out.
 */
export function loadCompose(
  env: Record<string, string | undefined> = {},
  { profiles = [] }: { profiles?: readonly string[] } = {},
): ComposeFile {
  const raw = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  // Interpolate scalar values only (not comments): walk the parsed document.
  const walk = (v: unknown): unknown =>
    typeof v === 'string'
      ? interpolate(v, env)
      : Array.isArray(v)
        ? v.map(walk)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
          : v;
  const all = walk(parseYaml(raw, { merge: true })) as ComposeFile;
  const active = (svc: ComposeService) => !svc.profiles || svc.profiles.some((p) => profiles.includes(p));
  return { ...all, services: Object.fromEntries(Object.entries(all.services).filter(([, svc]) => active(svc))) };
}

/**
 * The services `docker compose up <targets>` starts: the targets and, transitively, what they depend on.
 */
export function startedBy(compose: ComposeFile, targets: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const svc = compose.services[name];
    if (!svc) throw new Error(`no service ${name} in the active profiles`);
    seen.add(name);
    const deps = svc.depends_on ?? [];
    for (const d of Array.isArray(deps) ? deps : Object.keys(deps)) visit(d);
  };
  for (const t of targets) visit(t);
  return seen;
}

/** Host ports a service publishes, as "address:port" ("0.0.0.0:8883" when no address is given). */
export function hostPorts(svc: ComposeService): string[] {
  return (svc.ports ?? []).flatMap((p) => {
    if (typeof p === 'object') return p.published === undefined ? [] : [`0.0.0.0:${p.published}`];
    const parts = String(p).split('/')[0]!.split(':');
    if (parts.length === 1) return [];
    return [parts.length === 3 ? `${parts[0]}:${parts[1]}` : `0.0.0.0:${parts[0]}`];
  });
}

/** A service's environment as a plain string map (map or KEY=VALUE list form). */
export function envOf(svc: ComposeService): Record<string, string> {
  const e = svc.environment ?? {};
  if (Array.isArray(e))
    return Object.fromEntries(
      e.map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

/** Container ports a service publishes ("8080:8080", "127.0.0.1:8080:8080/tcp", 8080 or the long form). */
export function containerPorts(svc: ComposeService): number[] {
  return (svc.ports ?? []).map((p) =>
    typeof p === 'object' ? p.target : Number(String(p).split('/')[0]!.split(':').pop()),
  );
}

export interface Mount {
  source: string;
  target: string;
  bind: boolean;
  readOnly: boolean;
  /** Long form `volume: { subpath }`: only that folder of the volume is mounted. */
  subpath?: string;
}
export function mountsOf(svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map((v) => {
    if (typeof v === 'object')
      return {
        source: v.source ?? '',
        target: v.target,
        bind: v.type === 'bind',
        readOnly: v.read_only === true,
        ...(v.volume?.subpath !== undefined && { subpath: v.volume.subpath }),
      };
    const [source, target, mode = ''] = v.split(':') as [string, string, string?];
    return {
      source,
      target,
      bind: source.startsWith('.') || source.startsWith('/'),
      readOnly: mode.split(',').includes('ro'),
    };
  });
}

export function commandOf(svc: ComposeService): string[] {
  return Array.isArray(svc.command) ? svc.command : (svc.command ?? '').split(/\s+/).filter(Boolean);
}

export const exists = (repoPath: string) => existsSync(join(ROOT, repoPath));
