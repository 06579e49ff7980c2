import type { AuditEntry } from '../auth/audit-chain.ts';
import type { SnapshotStore } from '../periods/snapshot-store.ts';
import type { PeriodSnapshot } from '../periods/snapshot-types.ts';

/**
 * What the period snapshots say about the audit trail (issue 21 F8): each snapshot closed since then recorded the
 * trail's head at its close, and its close line (with its digest) follows that head. A trail cut after a close,
 * or rewritten from before it, lacks one or the other. Snapshots that no longer parse are `verify --period`'s.
 */
export async function snapshotHeadProblems(
  store: SnapshotStore,
  hashes: readonly string[],
  entries: readonly AuditEntry[],
): Promise<string[]> {
  const closes = new Map<string, number>();
  for (const e of entries) if (e.action === 'close' && e.digest) closes.set(e.digest, e.seq);
  const problems: string[] = [];
  for (const scope of await store.scopes())
    for (const version of await store.versions(scope)) {
      let s: PeriodSnapshot | undefined;
      try {
        s = await store.read(scope, version);
      } catch {
        continue;
      }
      if (!s?.auditHead) continue;
      const name = `period ${s.period}${s.taxpayerScope ? ` for ${s.taxpayerScope}` : ''} v${s.version}`;
      const { seq, hash } = s.auditHead;
      if (seq > 0 && hashes[seq - 1] !== hash)
        problems.push(
          `${name} was closed when the trail's line ${seq} had hash ${hash}; the trail (${hashes.length} lines) does not hold it: lines were cut or rewritten`,
        );
      else if ((closes.get(s.digest) ?? 0) <= seq)
        problems.push(`${name} (${s.digest}) has no close line after line ${seq}: lines were cut from the trail's end`);
    }
  return problems;
}
