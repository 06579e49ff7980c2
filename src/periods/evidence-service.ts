/**
 * Assembles a closed period's evidence package (issue 24) from what the service already makes: the snapshot
 * and its exports (the export builders, digest-checked), the seals of the period's days with their amendments,
 * the period's audit lines, the public keys, and any extra files (the hook for the supplier's reconciliation).
 */
import type { PublicSigningKey } from '../auth/signing-keys.ts';
import { parsePeriod } from '../fees/index.ts';
import type { Registry } from '../registry/types.ts';
import type { Signer } from '../util/ed25519.ts';
import { buildEvidenceZip, type EvidenceFile, type ExtraEvidenceFiles, KEYS_FILE, utf8 } from './evidence.ts';
import { periodMeters } from './period-ledger.ts';
import type { PeriodSeals } from './period-seals.ts';
import type { ExportFormat, PeriodResult, PeriodService } from './period-service.ts';

export interface EvidenceDeps {
  readonly periods: PeriodService;
  readonly registry: Registry;
  readonly seals?: PeriodSeals;
  readonly signer: Signer;
  readonly publicKeys: () => readonly PublicSigningKey[];
  /** The audit trail's lines as written (the state store's). */
  readonly auditLines: () => Promise<readonly string[]>;
  readonly extraFiles?: ExtraEvidenceFiles;
}

const EXPORTS: readonly [ExportFormat, string][] = [
  ['json', 'snapshot.json'],
  ['csv', 'ledger.csv'],
  ['totals.csv', 'totals.csv'],
  ['html', 'report.html'],
];

/** The audit lines about this period (and taxpayer, when one), as written (their HMAC chain stays checkable). */
function periodAuditLines(lines: readonly string[], period: string, taxpayer: string | null): string {
  return lines
    .filter((line) => {
      try {
        const what = (JSON.parse(line) as { what?: { period?: unknown; taxpayer?: unknown } }).what;
        return what?.period === period && (taxpayer === null || what.taxpayer === taxpayer);
      } catch {
        return false;
      }
    })
    .map((l) => `${l}\n`)
    .join('');
}

export function createEvidence(deps: EvidenceDeps) {
  return async function evidence(
    period: string,
    opts: { taxpayer?: string | null; by?: string } = {},
  ): Promise<PeriodResult<{ zip: Uint8Array; name: string; version: number }>> {
    const files: EvidenceFile[] = [];
    let snapshot: { period: string; version: number; digest: string; taxpayerScope?: string | null } | undefined;
    for (const [format, name] of EXPORTS) {
      const r = await deps.periods.export(period, format, opts);
      if (!r.ok) return r;
      snapshot = r.value.snapshot;
      files.push({ name, bytes: utf8(r.value.body) });
    }
    const s = snapshot!;
    const taxpayer = s.taxpayerScope ?? null;
    const p = parsePeriod(s.period);
    const pm = p.ok ? periodMeters(deps.registry, p.value, taxpayer) : undefined;
    if (pm?.ok && deps.seals)
      for (const seal of deps.seals.seals(pm.value))
        files.push({
          name: `seals/${seal.site}/${seal.day}.v${seal.version}.json`,
          bytes: utf8(`${JSON.stringify(seal)}\n`),
        });
    files.push({ name: 'audit.jsonl', bytes: utf8(periodAuditLines(await deps.auditLines(), s.period, taxpayer)) });
    const keys = deps.publicKeys().map(({ keyId, publicKey, pem, createdAt, retiredAt }) => ({
      keyId,
      publicKey,
      pem,
      createdAt,
      ...(retiredAt && { retiredAt }),
    }));
    files.push({ name: KEYS_FILE, bytes: utf8(`${JSON.stringify({ algorithm: 'Ed25519', keys }, null, 2)}\n`) });
    for (const f of (await deps.extraFiles?.(s.period, taxpayer)) ?? []) files.push(f);
    const zip = buildEvidenceZip({
      period: s.period,
      taxpayer,
      snapshotVersion: s.version,
      snapshotDigest: s.digest,
      files,
      signer: deps.signer,
    });
    const name = `kzmeter-${s.period}${taxpayer ? `-${taxpayer}` : ''}-v${s.version}-evidence.zip`;
    return { ok: true, value: { zip, name, version: s.version } };
  };
}

export type Evidence = ReturnType<typeof createEvidence>;
