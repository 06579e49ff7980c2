/**
 * Issue 26: a blank line split README's Configuration table, so the `ingest.spool.*` rows fell out of it
 * (Markdown ends a table at a blank line). The table is one block and lists every KZM_* variable the schema
 * knows, each once, with its key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envVarNames } from '../../../src/config/load.ts';

const README = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');

/** The rows of the first table after "## Configuration", up to the first line that is not a table row. */
function configurationTable(): string[] {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => l.trim() === '## Configuration');
  expect(start).toBeGreaterThan(0);
  const head = lines.findIndex((l, i) => i > start && l.startsWith('| key |'));
  const rows: string[] = [];
  for (let i = head + 2; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!);
  return rows;
}

describe('README Configuration table', () => {
  it('is one table listing every KZM_* variable with its key', () => {
    const rows = configurationTable();
    // A row may list several: `mqtt.tls.port` / `.certFile` with `KZM_MQTT_TLS_PORT` / `_CERT_FILE`.
    const expand = (cell: string, sep: RegExp) => {
      const parts = cell.split(' / ');
      const stem = parts[0]!.replace(sep, '');
      return parts.map((p, i) => (i > 0 && /^[._]/.test(p) ? stem + p : p));
    };
    const listed = rows.flatMap((r) => {
      const c = r.split('|').map((x) => x.trim().replace(/`/g, ''));
      const keys = expand(c[1]!, /\.[^.]+$/);
      const vars = expand(c[2]!, /_[^_]+$/);
      return vars.map((v, i) => [v, keys[i] ?? ''] as const);
    });
    const byVar = new Map(listed);
    const missing: string[] = [];
    for (const [name, leaf] of envVarNames()) {
      if (byVar.get(name) !== leaf.path.join('.')) missing.push(`${name} (${leaf.path.join('.')})`);
    }
    expect(missing).toEqual([]);
    expect(new Set(listed.map(([v]) => v)).size).toBe(listed.length);
  });
});
