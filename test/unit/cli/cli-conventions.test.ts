/** The CLI by the conventions: --version, a short top-level help, per-command help, one-line usage errors. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageVersion } from '../../../src/util/version.ts';

const ROOT = join(import.meta.dirname, '../../..');
const DATA = mkdtempSync(join(tmpdir(), 'kzm-cli-'));

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

const COMMANDS = [
  'serve',
  'ledger',
  'close',
  'reopen',
  'export',
  'verify',
  'periods',
  'rollup',
  'invoices',
  'credentials',
  'users',
  'broker-config',
  'backup',
  'restore',
  'seal',
  'signing-key',
  'evidence',
  'verify-evidence',
];
/** Options each command takes (its parseArgs options): each must be in its help. */
const OPTIONS: Record<string, string[]> = {
  serve: ['--config', '--json', '--simulate', '--scenario', '--clock', '--help'],
  ledger: [
    '--period',
    '--from',
    '--to',
    '--site',
    '--taxpayer',
    '--policy',
    '--format',
    '--csv-table',
    '--tariffs',
    '--tariffs-override',
    '--config',
    '--help',
  ],
  close: ['--period', '--taxpayer', '--by', '--reason', '--config', '--help'],
  reopen: ['--period', '--taxpayer', '--by', '--reason', '--config', '--help'],
  export: ['--period', '--taxpayer', '--version', '--format', '--out', '--config', '--help'],
  verify: ['--period', '--taxpayer', '--version', '--config', '--help'],
  periods: ['--config', '--help'],
  rollup: ['--period', '--from', '--to', '--site', '--config', '--help'],
  invoices: ['--period', '--taxpayer', '--by', '--config', '--help'],
  credentials: ['--kind', '--meters', '--client-ids', '--json', '--config', '--help'],
  users: ['--role', '--taxpayer', '--config', '--help'],
  'broker-config': ['--out', '--owner', '--config', '--help'],
  backup: ['--out', '--config', '--help'],
  restore: ['--config', '--help'],
  seal: ['--through', '--config', '--help'],
  'signing-key': ['--config', '--help'],
  evidence: ['--period', '--taxpayer', '--out', '--config', '--help'],
  'verify-evidence': ['--key', '--help'],
};

describe('kzmeter CLI conventions', () => {
  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(packageVersion());
    }
  });

  it('--help is short: the commands with one line each, the per-command hint and the exit codes', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // short: a line a command and a few more (usage, the hint, the exit codes)
    expect(lines.length).toBeLessThanOrEqual(COMMANDS.length + 1 + 12);
    for (const c of [...COMMANDS, 'simulate']) expect(r.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    expect(r.stdout).toContain('kzmeter <command> --help');
    expect(r.stdout).toMatch(/Exit codes: 0 .*; 1 .*\n.*2 bad command line/);
  });

  it.each(COMMANDS)('%s --help: its own usage, every option and an example', async (cmd) => {
    const r = await cli(cmd, '--help');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: kzmeter ${cmd}\\b`));
    expect(r.stdout).toMatch(new RegExp(`^Example: kzmeter ${cmd}\\b`, 'm'));
    for (const o of OPTIONS[cmd]!) expect(r.stdout, `${cmd} --help lists ${o}`).toMatch(new RegExp(`${o}\\b`));
  });

  it('an unknown option: one line naming it and the command help, exit code 2', async () => {
    const r = await cli('ledger', '--perod', '2025-Q3');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `kzmeter ledger: unknown option '--perod'. Run "kzmeter ledger --help" for its options.`,
    ]);
    const close = await cli('close', '--period');
    expect(close.code).toBe(2);
    expect(close.stderr.trim().split('\n')).toHaveLength(1);
    expect(close.stderr).toMatch(
      /^kzmeter close: option '--period <value>' argument missing\. Run "kzmeter close --help"/,
    );
  });

  it('an unknown command: one line, exit code 2', async () => {
    const r = await cli('ledgr');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('kzmeter: unknown command "ledgr". Run "kzmeter --help" for the commands.');
  });
});
