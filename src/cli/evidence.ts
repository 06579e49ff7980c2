/**
 * `kzmeter evidence --period P [--taxpayer BIN] --out FILE`: a closed period's signed evidence package;
 * `kzmeter verify-evidence FILE [--key FINGERPRINT]`: checks one anywhere (no service, InfluxDB, data dir or
 * registry: it reads no configuration at all). Exit codes: 0 done / intact, 1 failed / changed, 2 bad arguments.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { listSigningKeys } from '../auth/signing-keys.ts';
import { createEvidence } from '../periods/evidence-service.ts';
import { EVIDENCE_MESSAGES, verifyEvidence } from '../periods/evidence-verify.ts';
import { signingKeyOptions } from '../seal/index.ts';
import { cliAudit } from './audit.ts';
import { COMMON_OPTIONS } from './options.ts';
import { cliPeriodParts } from './periods.ts';

export const EVIDENCE_CLI_MESSAGES = {
  help: `Usage: kzmeter evidence --period P --out FILE [--taxpayer BIN] [--config F]
  Writes a closed period's evidence package (zip): the snapshot, its exports (CSV, JSON, printable HTML), the
  seals of the period's days and their amendments, the period's audit lines, the public keys, a manifest of
  every file's SHA-256 signed with the installation's Ed25519 key, and a README (ru, kk, en) on checking it.
  --period P      2025-Q3 (tax quarter), 2025-07 (month), 2025-07-01..2025-07-15 (days)
  --taxpayer BIN  one taxpayer's closed snapshot (default: the close of every taxpayer together)
  --out FILE      where to write the zip
  --config F      settings file (YAML)
  --help          this text
Example: kzmeter evidence --period 2025-Q3 --taxpayer 940140000385 --out q3-evidence.zip`,
  verifyHelp: `Usage: kzmeter verify-evidence FILE [--key FINGERPRINT]
  Checks an evidence package on any machine: no service, database, data dir or registry is needed. Every
  file's SHA-256 against the signed manifest, the manifest's Ed25519 signature, every seal's digest and
  signature and the snapshot's digest. Exit 0 when all hold; 1 naming the first file that was changed.
  --key FINGERPRINT  the key the package must be signed with (as GET /api/signing-key gives it); without it,
                     compare the fingerprint printed with the installation's
  --help          this text
Example: kzmeter verify-evidence q3-evidence.zip --key 3f5c...e1`,
  needPeriod: 'kzmeter evidence: --period and --out are required. Run "kzmeter evidence --help" for its options.',
  needFile: 'kzmeter verify-evidence: a FILE is required. Run "kzmeter verify-evidence --help" for its options.',
  cannotRead: (file: string, why: string) => `verify-evidence: cannot read ${file} (${why})`,
  written: (file: string, bytes: number, keyId: string) => `${file}: ${bytes} bytes, manifest signed with key ${keyId}`,
  changed: (file: string, inner: string, reason: string) => `${file}: ${inner}: ${reason}`,
} as const;
const M = EVIDENCE_CLI_MESSAGES;

export async function evidenceMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v } = parseArgs({
    args: argv,
    options: { period: { type: 'string' }, taxpayer: { type: 'string' }, out: { type: 'string' }, ...COMMON_OPTIONS },
  });
  if (v.help) return (print(M.help), 0);
  if (!v.period || !v.out) return (console.error(M.needPeriod), 2);
  const parts = await cliPeriodParts(v.config);
  const evidence = createEvidence({
    periods: parts.periods,
    registry: parts.registry,
    seals: parts.seals,
    signer: parts.sealing.signer,
    publicKeys: () => listSigningKeys(signingKeyOptions(parts.config)),
    auditLines: () => parts.state.audit.lines(),
  });
  const r = await evidence(v.period, { ...(v.taxpayer && { taxpayer: v.taxpayer }) });
  if (!r.ok) {
    console.error(r.reason);
    return r.status >= 500 || r.code === 'snapshot-altered' ? 1 : 2;
  }
  writeFileSync(v.out, r.value.zip);
  await cliAudit(parts.config, {
    action: 'export',
    what: { period: v.period, taxpayer: v.taxpayer ?? null, version: r.value.version, file: 'evidence.zip' },
    digest: createHash('sha256').update(r.value.zip).digest('hex'),
  });
  print(M.written(v.out, r.value.zip.byteLength, parts.sealing.signer.keyId));
  return 0;
}

export async function verifyEvidenceMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { key: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (v.help) return (print(M.verifyHelp), 0);
  const file = positionals[0];
  if (!file) return (console.error(M.needFile), 2);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    console.error(M.cannotRead(file, (err as NodeJS.ErrnoException).code ?? String(err)));
    return 1;
  }
  const r = verifyEvidence(bytes, { ...(v.key && { keyId: v.key }) });
  if (!r.ok) {
    print(M.changed(file, r.file, r.reason));
    return 1;
  }
  print(`${file}: ${EVIDENCE_MESSAGES.ok(r.files, r.seals, r.keyId)}`);
  return 0;
}
