import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { auditLogPath, createAuditLog, verifyAuditLog, type AuditInput } from '../auth/audit-log.ts';
import { loadConfig } from '../config/load.ts';

export const AUDIT_HELP = `kzmeter verify            (without --period) check the audit trail's hash chain
  <dataDir>/audit/audit.log: closes, reopens, export downloads, credential and user changes, failed logins.
  Exit 0 with the entry count and the last hash (note it down: a later check must reach it), 1 at the
  first line that was edited, removed or reordered.`;

/** Who acts from the command line: the operating-system user. */
export const cliActor = () => `cli:${userInfo().username}`;

/** Append to the audit trail of the configured dataDir (the CLI's credential and user changes). */
export function cliAudit(dataDir: string, input: Omit<AuditInput, 'who'>): void {
  createAuditLog(auditLogPath(dataDir)).append({ who: cliActor(), ...input });
}

export async function auditVerifyMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean' } } });
  if (v.help) {
    print(AUDIT_HELP);
    return 0;
  }
  const file = auditLogPath(loadConfig(v.config ? { file: v.config } : {}).dataDir);
  const r = verifyAuditLog(file);
  if (r.ok) {
    print(`audit trail ${file}: ${r.entries} entries, chain intact; last hash ${r.lastHash}`);
    return 0;
  }
  print(`audit trail ${file}: BROKEN at line ${r.line}: ${r.reason}`);
  return 1;
}
