/** Issue 24: `kzmeter invoices import FILE` from the command line: refused whole naming the lines, versions kept. */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditLogPath } from '../../../src/auth/audit-log.ts';

const ROOT = join(import.meta.dirname, '../../..');
const DATA = mkdtempSync(join(tmpdir(), 'kzm-inv-cli-'));
afterAll(() => rmSync(DATA, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      {
        cwd: ROOT,
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KZM_DATA_DIR: DATA },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
const file = (name: string, text: string) => {
  const p = join(DATA, name);
  writeFileSync(p, text);
  return p;
};

describe('kzmeter invoices', () => {
  it('a bad statement: exit 2, each bad line named, nothing stored', async () => {
    const r = await cli(
      'invoices',
      'import',
      file('bad.csv', 'site,month,kwh\nekb-1,2025-07,1 000\nekb-1,2025-08,5\n'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2, column kwh: "1 000" is not kWh/);
    const list = await cli('invoices', 'list');
    expect(JSON.parse(list.stdout)).toEqual({ invoices: [] });
  });

  it('imports, re-imports a month as version 2 keeping version 1, and audits both', async () => {
    const one = await cli('invoices', 'import', file('jul.csv', 'ekb-1,2025-07,182400.5,E-1\n'), '--by', 'aigerim');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('ekb-1 2025-07: 182400.500 kWh v1');
    const two = await cli('invoices', 'import', file('jul2.csv', 'ekb-1,2025-07,182500,E-1b\n'), '--by', 'aigerim');
    expect(two.stdout).toContain('ekb-1 2025-07: 182500.000 kWh v2 (replaces v1)');
    const list = JSON.parse((await cli('invoices', 'list', '--period', '2025-Q3')).stdout) as {
      invoices: { versions: { version: number; kwh: string; importedBy: string; source: string }[] }[];
    };
    expect(list.invoices[0]!.versions.map((v) => [v.version, v.kwh, v.importedBy, v.source])).toEqual([
      [1, '182400.500', 'aigerim', 'jul.csv'],
      [2, '182500.000', 'aigerim', 'jul2.csv'],
    ]);
    const audit = readFileSync(auditLogPath(DATA), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.map((e) => [e.action, e.what.versions])).toEqual([
      ['invoice-import', ['ekb-1/2025-07 v1 182400.500 kWh']],
      ['invoice-import', ['ekb-1/2025-07 v2 182500.000 kWh']],
    ]);
  });
});
