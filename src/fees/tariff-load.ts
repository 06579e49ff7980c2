/**
 * The only file of the fee engine that touches the file system: reads every
 * *.yaml / *.yml schedule in the shipped directory, then an optional operator
 * override directory on top, validates each and merges them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Result, ok, fail } from '../util/result.ts';
import { parseTariffSchedule } from './tariff-schema.ts';
import { type TariffSet, type TariffSource, buildTariffSet } from './tariff.ts';

async function readLayer(dir: string, layer: number, errors: string[], missing: string[]): Promise<TariffSource[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') missing.push(dir);
    else errors.push(`${dir}: cannot read tariff directory: ${(error as Error).message}`);
    return [];
  }
  const out: TariffSource[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const parsed = parseTariffSchedule(await readFile(file, 'utf8'), file);
    if (parsed.ok) out.push({ file, schedule: parsed.value, layer });
    else errors.push(parsed.reason);
  }
  return out;
}

/**
 * Loads tariff schedules. Every broken file is reported (file: entry.field: problem),
 * not only the first.
 */
export async function loadTariffs(dir: string, overrideDir?: string): Promise<Result<TariffSet>> {
  const errors: string[] = [];
  const missing: string[] = [];
  const sources = await readLayer(dir, 0, errors, missing);
  if (overrideDir !== undefined) sources.push(...(await readLayer(overrideDir, 1, errors, missing)));
  // Not there at all is a different mistake from a broken file: the caller says where to point instead.
  if (missing.length) return fail(`${missing.join(', ')}: no such directory`, 'tariffs-missing');
  if (errors.length > 0) return fail(errors.join('\n'));
  if (sources.length === 0) return fail(`${dir}: no tariff schedules (*.yaml) found`);
  const set = buildTariffSet(sources);
  return set.ok ? ok(set.value) : set;
}
