/**
 * The house rules of README "Architecture", checked on the source (issue 23): every InfluxQL read lives under
 * src/store/; each folder imports only from the floors below it; the pure core imports nothing of the shell.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../../src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const files = filesUnder(SRC).map((p) => ({ path: relative(SRC, p), text: readFileSync(p, 'utf8') }));

/** Floors from the bottom; a file may import its own floor and any below. Leaf modules first. */
const FLOORS: readonly (readonly string[])[] = [
  ['util/result.ts', 'util/errors.ts', 'i18n'],
  ['fees'],
  ['util'],
  ['model', 'config'],
  ['formats'],
  ['registry'],
  ['auth', 'store'],
  ['rollup', 'live', 'derived', 'seal'],
  ['ingest'],
  ['broker'],
  ['ledger'],
  ['periods'],
  // The state store (issue 25) gathers the stores of auth/, periods/ and seal/ behind one interface (files or
  // PostgreSQL): above them, below http/ and the service that open it. Its backup archive imports only util/.
  ['state'],
  ['http'],
  ['cli', 'service.ts', 'service', 'main.ts'],
];

function floorOf(path: string): number {
  const exact = FLOORS.findIndex((f) => f.includes(path));
  if (exact >= 0) return exact;
  const top = path.split('/')[0]!;
  return FLOORS.findIndex((f) => f.includes(top));
}

function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+'([^']+)'/g)) out.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) out.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g)) out.push(m[1]!);
  return out.filter((s) => s.startsWith('.'));
}

describe('architecture', () => {
  it('every source folder has a floor', () => {
    const unplaced = files.filter((f) => floorOf(f.path) < 0).map((f) => f.path);
    expect(unplaced).toEqual([]);
  });

  it('no floor imports a floor above it (the simulator only from cli/)', () => {
    const violations: string[] = [];
    for (const f of files) {
      const from = floorOf(f.path);
      for (const spec of importsOf(f.text)) {
        const target = relative(SRC, resolve(SRC, dirname(f.path), spec));
        if (target.startsWith('..')) {
          if (!f.path.startsWith('cli/')) violations.push(`${f.path} -> ${spec} (outside src/)`);
          continue;
        }
        const to = floorOf(target);
        if (to > from) violations.push(`${f.path} -> ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('ledger/ and rollup/ do not import each other; nothing below ingest/ imports it', () => {
    const bad = files.flatMap((f) =>
      importsOf(f.text)
        .map((spec) => relative(SRC, resolve(SRC, dirname(f.path), spec)))
        .filter(
          (t) =>
            (f.path.startsWith('ledger/') && t.startsWith('rollup/')) ||
            (f.path.startsWith('rollup/') && t.startsWith('ledger/')),
        )
        .map((t) => `${f.path} -> ${t}`),
    );
    expect(bad).toEqual([]);
  });

  it('InfluxQL is written only under src/store/', () => {
    const influxql =
      /\b(SELECT\s+[^`'"]*\bFROM\b|SHOW\s+(MEASUREMENTS|DATABASES|SERIES|RETENTION)|DROP\s+(SERIES|MEASUREMENT)|DELETE\s+FROM)/;
    // src/state/pg/ writes SQL for the PostgreSQL state store (issue 25), which reads alike: that is its one place.
    const sqlHome = (path: string) => path.startsWith('store/') || path.startsWith('state/pg/');
    const outside = files.filter((f) => !sqlHome(f.path) && influxql.test(f.text)).map((f) => f.path);
    expect(outside).toEqual([]);
    // The check can fail: the store's readers do match.
    expect(files.some((f) => f.path.startsWith('store/query/') && influxql.test(f.text))).toBe(true);
  });
});
