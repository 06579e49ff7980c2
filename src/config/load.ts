import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatPath } from '../util/zod-error.ts';
import { configSchema, type Config } from './schema.ts';
import { KzmError } from '../util/errors.ts';
import { closest } from '../util/closest.ts';

export const ENV_PREFIX = 'KZM_';

export class ConfigError extends KzmError {
  constructor(readonly problems: readonly string[]) {
    super(`Configuration is invalid:\n  - ${problems.join('\n  - ')}`, { code: 'config-invalid' });
  }
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

type Leaf = { path: string[]; type: string };

/** Every leaf key of the schema with its zod type name, e.g. { path: ['influx','url'], type: 'string' }. */
function leaves(schema: z.ZodType, path: string[] = []): Leaf[] {
  let s: z.ZodType = schema;
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType };
    if (def.innerType && ['optional', 'default', 'prefault', 'nullable'].includes(def.type)) s = def.innerType;
    else break;
  }
  if (s instanceof z.ZodObject)
    return Object.entries(s.shape).flatMap(([k, v]) => leaves(v as z.ZodType, [...path, k]));
  return [{ path, type: (s.def as { type: string }).type }];
}

/** Environment variable name of each config key: influx.url -> KZM_INFLUX_URL. */
export function envVarNames(): Map<string, Leaf> {
  return new Map(leaves(configSchema).map((l) => [ENV_PREFIX + l.path.map(snake).join('_'), l]));
}

function coerce(raw: string, type: string): unknown {
  if (type === 'number') return raw.trim() === '' ? raw : Number(raw);
  if (type === 'boolean') return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  return raw;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}

function fromEnv(env: NodeJS.ProcessEnv, problems: string[]): Record<string, unknown> {
  const names = envVarNames();
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined || name === `${ENV_PREFIX}CONFIG`) continue;
    const leaf = names.get(name);
    if (!leaf) {
      const near = closest(name, names.keys());
      problems.push(
        near
          ? `${name}: unknown setting; did you mean ${near}?`
          : `${name}: unknown setting (README "Configuration" lists the ${names.size} KZM_* variables)`,
      );
      continue;
    }
    const v = coerce(value, leaf.type);
    if (typeof v === 'number' && Number.isNaN(v)) {
      problems.push(`${leaf.path.join('.')} (${name}): "${value}" is not a number`);
      continue;
    }
    setPath(out, leaf.path, v);
  }
  return out;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      prev && typeof prev === 'object' && v && typeof v === 'object' && !Array.isArray(v)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `${file}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    ]);
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError([
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    ]);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError([`${file}: must be a mapping of settings`]);
  return doc as Record<string, unknown>;
}

function envNameOf(path: readonly PropertyKey[]): string {
  return ENV_PREFIX + path.map((p) => snake(String(p))).join('_');
}

/**
 * Config = schema defaults < config file (KZM_CONFIG or `file`) < KZM_* environment variables < overrides.
 * Unknown keys anywhere are refused; every error names the key (and its env variable) and what is wanted.
 */
export function loadConfig(
  opts: { env?: NodeJS.ProcessEnv; file?: string; overrides?: Record<string, unknown> } = {},
): Config {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const file = opts.file ?? env[`${ENV_PREFIX}CONFIG`];
  const fromFile = file ? readConfigFile(file) : {};
  const merged = deepMerge(deepMerge(fromFile, fromEnv(env, problems)), opts.overrides ?? {});
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const p of keys) {
        const what = issue.code === 'unrecognized_keys' ? 'unknown setting' : issue.message;
        problems.push(`${formatPath(p)} (${envNameOf(p)}${file ? ` or in ${file}` : ''}): ${what}`);
      }
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return parsed.data!;
}
