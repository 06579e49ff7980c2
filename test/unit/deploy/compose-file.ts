/** Reading docker-compose.yml the way `docker compose` does, for the deploy tests (no Docker engine here). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const ROOT = join(import.meta.dirname, '../../..');

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
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

/** docker-compose.yml parsed after interpolation with `env` (default: no variables set, so every default applies). */
export function loadCompose(env: Record<string, string | undefined> = {}): ComposeFile {
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
  return walk(parseYaml(raw)) as ComposeFile;
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
}
export function mountsOf(svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.source ?? '', target: v.target, bind: v.type === 'bind' };
    const [source, target] = v.split(':') as [string, string];
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

export function commandOf(svc: ComposeService): string[] {
  return Array.isArray(svc.command) ? svc.command : (svc.command ?? '').split(/\s+/).filter(Boolean);
}

export const exists = (repoPath: string) => existsSync(join(ROOT, repoPath));
