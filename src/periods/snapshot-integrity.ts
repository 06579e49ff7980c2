/**
 * Integrity at the point of use (issue 21 F6, architecture principle 13): a snapshot is read for a download, a
 * late-data report, a repeated close or a reopen only after its digest is checked against its content. A file
 * that does not match (edited, or no longer JSON) is refused with the code `snapshot-altered`, counted and
 * audited; nothing of it is served. `verify` is the one reader that still shows it (digestOk: false).
 */
import { Counter, type Registry as PromRegistry } from 'prom-client';
import type { Logger } from 'pino';
import type { AuditLog } from '../auth/audit-log.ts';
import { digestMatches } from './build-snapshot.ts';
import type { SnapshotScope, SnapshotStore } from './snapshot-store.ts';
import type { PeriodSnapshot } from './snapshot-types.ts';

export const SNAPSHOT_ALTERED = 'snapshot-altered';

/** What was refused: which version, for what use (`export.csv`, `late-data`, `close`, `reopen`), asked by whom. */
export interface AlteredUse {
  readonly period: string;
  readonly taxpayer: string | null;
  readonly version: number;
  readonly use: string;
  readonly by?: string;
}
export type OnAltered = (e: AlteredUse) => void;

export type CheckedRead =
  | { readonly kind: 'ok'; readonly snapshot: PeriodSnapshot }
  | { readonly kind: 'altered'; readonly version: number }
  | { readonly kind: 'missing' };

/** A stored version (latest when omitted), its digest checked. */
export async function readChecked(store: SnapshotStore, scope: SnapshotScope, version?: number): Promise<CheckedRead> {
  const v = version ?? (await store.versions(scope)).at(-1);
  if (v === undefined) return { kind: 'missing' };
  let snapshot: PeriodSnapshot | undefined;
  try {
    snapshot = await store.read(scope, v);
  } catch (err) {
    if (err instanceof SyntaxError) return { kind: 'altered', version: v };
    throw err;
  }
  if (!snapshot) return { kind: 'missing' };
  return digestMatches(snapshot) && snapshot.version === v ? { kind: 'ok', snapshot } : { kind: 'altered', version: v };
}

/** The sentence an altered snapshot is refused with. */
export function alteredReason(scope: SnapshotScope, version: number): string {
  const what = `period ${scope.period}${scope.taxpayer ? ` for taxpayer ${scope.taxpayer}` : ''} v${version}`;
  return (
    `${what}: the snapshot was altered after its close (its content no longer matches its digest), so nothing is served from it. ` +
    `Run "kzmeter verify --period ${scope.period}${scope.taxpayer ? ` --taxpayer ${scope.taxpayer}` : ''} --version ${version}" and restore the file from a backup.`
  );
}

/** The service's reaction to an altered snapshot: counted (kzm_snapshot_altered_total{use}), audited, logged. */
export function createAlteredAlarm(deps: { metrics: PromRegistry; audit?: AuditLog; log: Logger }): OnAltered {
  const counter = new Counter({
    name: 'kzm_snapshot_altered_total',
    help: 'Uses of a period snapshot refused because its content no longer matches its digest',
    labelNames: ['use'],
    registers: [deps.metrics],
  });
  return (e) => {
    counter.inc({ use: e.use });
    // Not awaited by the refusal: the answer does not wait for the audit line; a failed append is logged.
    deps.audit
      ?.append({
        who: e.by ?? 'kzmeter',
        action: 'snapshot-altered',
        what: { period: e.period, taxpayer: e.taxpayer, version: e.version, use: e.use },
      })
      .catch((err: unknown) => deps.log.error({ err }, 'Audit line of an altered snapshot not written.'));
    deps.log.error({ ...e }, 'Period snapshot altered after its close: refused.');
  };
}
