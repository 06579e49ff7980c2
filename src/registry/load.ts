import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatPath } from '../util/zod-error.ts';
import {
  registryFileSchemas,
  type MeterInput,
  type PriceInput,
  type RigInput,
  type SiteInput,
  type TaxpayerInput,
} from './schema.ts';
import type { DeviceInput, MappingInput } from '../formats/device-schema.ts';
import { resolveRegistry } from './resolve.ts';
import type { Registry } from './types.ts';
import { KzmError } from '../util/errors.ts';

export class RegistryError extends KzmError {
  constructor(readonly problems: readonly string[]) {
    super(
      `Registry is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
      { code: 'registry-invalid' },
    );
  }
}

type FileKind = keyof typeof registryFileSchemas;
const KINDS: readonly FileKind[] = ['taxpayers', 'sites', 'meters', 'rigs', 'prices', 'devices'];
const ENTRY_KEY: Record<FileKind, string> = {
  taxpayers: 'bin',
  sites: 'id',
  meters: 'id',
  rigs: 'serial',
  prices: 'site',
  devices: 'topic',
};
/** Files a registry may leave out. */
const OPTIONAL: readonly FileKind[] = ['rigs', 'prices', 'devices'];

function findFile(dir: string, kind: FileKind): string | undefined {
  for (const ext of ['yaml', 'yml', 'json']) {
    const p = join(dir, `${kind}.${ext}`);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** `meters[3] (id "ekb1-m04") field "sources[0].source"` */
function describeEntry(kind: FileKind, doc: unknown, path: readonly PropertyKey[]): string {
  const [, index, ...field] = path;
  if (typeof index !== 'number') return path.length ? `field "${formatPath(path)}"` : 'top level';
  const list = (doc as Record<string, unknown[]>)[kind];
  const entry = list?.[index] as Record<string, unknown> | undefined;
  const key = ENTRY_KEY[kind];
  const name = entry && typeof entry[key] === 'string' ? ` (${key} "${entry[key]}")` : '';
  return `entry ${kind}[${index}]${name}${field.length ? ` field "${formatPath(field)}"` : ''}`;
}

interface RawRegistry {
  taxpayers: TaxpayerInput[];
  sites: SiteInput[];
  meters: MeterInput[];
  rigs: RigInput[];
  prices: PriceInput[];
  devices: DeviceInput[];
  mappings?: MappingInput[];
  files: Record<FileKind, string>;
}

function readAll(dir: string, problems: string[], hash: ReturnType<typeof createHash>): RawRegistry | undefined {
  const out: Partial<RawRegistry> = { files: {} as Record<FileKind, string> };
  for (const kind of KINDS) {
    const file = findFile(dir, kind);
    if (!file) {
      if (OPTIONAL.includes(kind)) {
        out[kind] = [];
        continue;
      }
      problems.push(
        `${join(dir, `${kind}.yaml`)}: file is missing (the registry needs taxpayers, sites and meters files)`,
      );
      continue;
    }
    out.files![kind] = file;
    const text = readFileSync(file, 'utf8');
    hash.update(`${kind}\0${text}\0`);
    let doc: unknown;
    try {
      doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      problems.push(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
      continue;
    }
    const parsed = registryFileSchemas[kind].safeParse(doc);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${file}: ${describeEntry(kind, doc, issue.path)}: ${issue.message}`);
      continue;
    }
    Object.assign(out, parsed.data);
  }
  return problems.length ? undefined : (out as RawRegistry);
}

/** Load and validate the registry in `dir`; throws RegistryError listing every problem with file, entry and field. */
export function loadRegistry(dir: string): Registry {
  const problems: string[] = [];
  const hash = createHash('sha256');
  const raw = readAll(dir, problems, hash);
  if (!raw) throw new RegistryError(problems);
  const result = resolveRegistry(raw, raw.files, hash.digest('hex').slice(0, 16));
  if (!result.ok) throw new RegistryError(result.problems);
  return result.value;
}
