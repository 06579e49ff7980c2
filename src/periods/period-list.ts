/**
 * The period list: every closed period with its state, late readings and due dates, plus the current
 * quarter and the four before it when not closed, each due date marked upcoming, due, overdue, prepared
 * or passed (due-marks.ts).
 */
import {
  type QuarterDueDates,
  type TariffSet,
  localDateOf,
  parsePeriod,
  quarterAt,
  quarterDueDatesOf,
} from '../fees/index.ts';
import type { Registry } from '../registry/types.ts';
import { type DueMarks, dueMarks } from './due-marks.ts';
import { type PeriodMeters, periodMeters } from './period-ledger.ts';
import type { SnapshotScope } from './snapshot-store.ts';
import type { PeriodSnapshot } from './snapshot-types.ts';

export interface PeriodListEntry {
  readonly period: string;
  readonly taxpayer: string | null;
  /** 'open' | 'in-progress' | 'closed v<N>' | 'reopened after v<N>'. */
  readonly state: string;
  readonly version: number | null;
  readonly digest: string | null;
  readonly latePending: number;
  /** Each tax quarter's dates (the snapshot's for a closed period) and whether they are due or overdue. */
  readonly dueDates: (QuarterDueDates & DueMarks)[];
  /** Who closed the latest version, and who reopened it (null when not reopened); absent when never closed. */
  readonly closedBy?: string;
  readonly reopenedBy?: string | null;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

export async function listPeriods(ctx: {
  nowMs: number;
  registry: Registry;
  tariffs: TariffSet;
  scopes: readonly SnapshotScope[];
  state: (scope: SnapshotScope) => Promise<{ latest?: PeriodSnapshot; reopened: boolean }>;
  lateCount: (pm: PeriodMeters, closedAtMs: number) => Promise<number>;
  /** Who reopened a version (its reopen record). */
  reopenedBy?: (scope: SnapshotScope, version: number) => Promise<string | undefined>;
}): Promise<PeriodListEntry[]> {
  const { nowMs } = ctx;
  const zone = ctx.registry.sites[0]?.timeZone ?? 'Asia/Almaty';
  const d = localDateOf(nowMs, zone);
  const today = `${d.year}-${pad2(d.month)}-${pad2(d.day)}`;
  const marked = (due: readonly QuarterDueDates[], closed: boolean, ended: boolean) =>
    due.map((x) => ({
      // Snapshots closed before due dates were tariff data lack verified and tariffId.
      ...x,
      verified: x.verified ?? true,
      tariffId: x.tariffId ?? null,
      ...dueMarks(x, { closed, ended, today }),
    }));
  const entries: PeriodListEntry[] = [];
  const seen = new Set<string>();
  for (const scope of ctx.scopes) {
    seen.add(`${scope.period}|${scope.taxpayer ?? ''}`);
    const s = await ctx.state(scope);
    const latest = s.latest!;
    const parsed = parsePeriod(scope.period);
    const pm = parsed.ok ? periodMeters(ctx.registry, parsed.value, scope.taxpayer) : parsed;
    const late = s.reopened || !pm.ok ? 0 : await ctx.lateCount(pm.value, latest.closedAtMs);
    entries.push({
      period: scope.period,
      taxpayer: scope.taxpayer,
      state: s.reopened ? `reopened after v${latest.version}` : `closed v${latest.version}`,
      version: latest.version,
      digest: latest.digest,
      latePending: late,
      dueDates: marked(latest.dueDates, !s.reopened, pm.ok ? pm.value.toMs <= nowMs : true),
      closedBy: latest.closedBy,
      reopenedBy: s.reopened ? ((await ctx.reopenedBy?.(scope, latest.version)) ?? null) : null,
    });
  }
  // The current quarter and the four before it, when not closed.
  let q = quarterAt(nowMs, zone);
  for (let i = 0; i < 5; i++) {
    if (!seen.has(`${q.label}|`)) {
      entries.push({
        period: q.label,
        taxpayer: null,
        state: q.toMs > nowMs ? 'in-progress' : 'open',
        version: null,
        digest: null,
        latePending: 0,
        dueDates: marked([quarterDueDatesOf(ctx.tariffs, q.label)], false, q.toMs <= nowMs),
      });
    }
    q = quarterAt(q.fromMs - 1, zone);
  }
  return entries.sort((a, b) =>
    a.period < b.period ? 1 : a.period > b.period ? -1 : (a.taxpayer ?? '') < (b.taxpayer ?? '') ? -1 : 1,
  );
}
