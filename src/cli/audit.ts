import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { readAuditKeys } from '../auth/audit-keys.ts';
import type { AuditInput } from '../auth/audit-log.ts';
import { parseAuditLines, verifyAuditLines } from '../auth/audit-verify.ts';
import { loadConfig } from '../config/load.ts';
import { openStateStore, type StateConfig } from '../state/open-state.ts';
import type { StateStore } from '../state/state-store.ts';
import { snapshotHeadProblems } from './audit-heads.ts';
import { verifySealsMain } from './seal.ts';

export const AUDIT_HELP = `kzmeter verify [--expect-head HASH]   (without --period) check the audit trail
  <dataDir>/audit/audit.log: closes, reopens, export downloads, credential and user changes, failed logins.
  Each line is chained to the one before with an HMAC whose key is kept apart from the log (audit.keyFile,
  default <dataDir>/auth/audit-keys.json); lines written before the key existed are reported as legacy.
  Every period snapshot records the trail's head at its close; a trail that lost those lines fails.
  Then every seal of the readings (kzmeter seal): its digest, signature and chain, and its day against what
  InfluxDB holds now (a progress bar on stderr); a reading changed, added or deleted since is named.
  --expect-head HASH  a last hash printed by an earlier verify: the trail must still hold it (a cut tail fails)
  --config F          settings file (YAML)
  Exit 0 with the entry count and the last hash (note it down for --expect-head), 1 at the first line that was
  edited, removed or reordered, or when a head noted earlier or recorded by a snapshot is missing.
Example: kzmeter verify --expect-head 3f5c...e1`;

export const AUDIT_KEY_HELP = `Usage: kzmeter audit-key <rotate|list> [--config F]
  The audit trail's HMAC keys (audit.keyFile, default <dataDir>/auth/audit-keys.json, 0600).
  rotate   a new key signs the lines from now on; the old keys stay in the file so their lines still verify
  list     key ids, when made and retired, which is current (never the secrets)
Example: kzmeter audit-key rotate`;

type AuditConfig = StateConfig;

/** Who acts from the command line: the operating-system user. */
export const cliActor = () => `cli:${userInfo().username}`;

/** The configured state store (files or PostgreSQL) for one piece of a command's work, closed after it. */
export async function withState<T>(config: AuditConfig, fn: (state: StateStore) => Promise<T>): Promise<T> {
  const state = await openStateStore(config);
  try {
    return await fn(state);
  } finally {
    await state.close();
  }
}

/** Append to the configured audit trail (the CLI's credential and user changes). */
export async function cliAudit(config: AuditConfig, input: Omit<AuditInput, 'who'>): Promise<void> {
  await withState(config, (s) => s.audit.append({ who: cliActor(), ...input }));
}

/** The trail's head now (recorded by a close from the command line). */
export const cliAuditHead = (config: AuditConfig) => withState(config, (s) => s.audit.head());

export async function auditVerifyMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'expect-head': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (v.help) {
    print(AUDIT_HELP);
    return 0;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  const checked = await withState(config, async (state) => {
    const lines = await state.audit.lines();
    const r = verifyAuditLines(lines, state.audit.keyFile);
    const heads = r.ok ? await snapshotHeadProblems(state.snapshots, r.hashes, parseAuditLines(lines)) : [];
    return { r, heads, where: state.audit.where };
  });
  const { r, heads } = checked;
  const audit = { file: checked.where };
  if (!r.ok) {
    print(`audit trail ${audit.file}: BROKEN at line ${r.line}: ${r.reason}`);
    return 1;
  }
  const expected = v['expect-head'];
  if (expected !== undefined && !r.hashes.includes(expected)) {
    print(
      `audit trail ${audit.file}: BROKEN: the head ${expected} noted earlier is not in it (it now ends at line ${r.entries}): lines were cut from its end, or it was rewritten`,
    );
    return 1;
  }
  if (heads.length) {
    for (const p of heads) print(`audit trail ${audit.file}: BROKEN: ${p}`);
    return 1;
  }
  const legacy = r.legacy
    ? ` (${r.legacy} legacy line${r.legacy > 1 ? 's' : ''} 1-${r.legacy}, written before the audit key: unkeyed, their chain could be recomputed by anyone who can write the log)`
    : '';
  const since =
    expected !== undefined ? `; ${r.entries - r.hashes.indexOf(expected) - 1} entries since ${expected}` : '';
  print(
    `audit trail ${audit.file}: ${r.entries} entries${legacy}, chain intact${since}; last hash ${r.lastHash} (note it down and check later with --expect-head)`,
  );
  // Then every seal against what InfluxDB holds now (issue 24).
  return verifySealsMain(config, print);
}

export async function auditKeyMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string' }, help: { type: 'boolean' } },
  });
  const action = positionals[0];
  if (v.help || (action !== 'rotate' && action !== 'list')) {
    print(AUDIT_KEY_HELP);
    return v.help ? 0 : 2;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  const audit = await withState(config, async (s) => s.audit);
  if (action === 'rotate') {
    const r = await withState(config, (s) => s.audit.rotateKey());
    print(
      `audit key ${r.current} is current${r.retired ? `; ${r.retired} retired (kept in ${audit.keyFile} so its lines still verify)` : ''}`,
    );
    return 0;
  }
  const keys = readAuditKeys(audit.keyFile);
  if (!keys) print(`no audit keys yet (${audit.keyFile} is made at the first audited action)`);
  else
    for (const k of keys.keys)
      print(
        `${k.id}\tmade ${k.createdAt}${k.retiredAt ? `\tretired ${k.retiredAt}` : ''}${k.id === keys.current ? '\tcurrent' : ''}`,
      );
  return 0;
}
