/**
 * Where the dashboard's view models come from: the ledger service (through a few-seconds cache, so many
 * browsers cost one computation), the live view and the registry. Answers Result: a bad request comes
 * back as { ok: false, reason } for a 400; store failures throw.
 */
import { type LedgerLine, quarterAt } from '../../fees/index.ts';
import type { Result } from '../../util/result.ts';
import type { LiveState } from '../../live/live-state.ts';
import { type LedgerServiceDeps, createLedgerService } from '../../ledger/ledger-service.ts';
import type { LedgerReport } from '../../ledger/report.ts';
import type { Meter } from '../../registry/types.ts';
import { type MeterDetailView, loadMeterDetail } from './meter-detail.ts';
import { type MeterLedgerRow, type MeterLiveRow, inForce, ledgerRow, liveRow } from './meter-state.ts';
import { type OverviewView, overviewView, quarterClock, quotaMonth } from './overview-model.ts';
import { createTtlCache } from './ttl-cache.ts';

export interface DashboardDataDeps extends LedgerServiceDeps {
  readonly live: LiveState;
  /** How long a computed ledger is served to every browser (default 5 s). */
  readonly cacheTtlMs?: number;
}

export interface MeterGridRow {
  readonly id: string;
  readonly site: string;
  readonly siteName: string;
  readonly timeZone: string;
  readonly source: string;
  readonly reportingIntervalS: number;
  readonly live: MeterLiveRow;
  readonly ledger: MeterLedgerRow | null;
}

export interface MetersView {
  readonly quarter: string;
  readonly asOf: string | null;
  /** Why the ledger columns are empty (the live columns still work without InfluxDB). */
  readonly ledgerError: string | null;
  readonly meters: readonly MeterGridRow[];
}

export function createDashboardData(deps: DashboardDataDeps) {
  const now = deps.now ?? Date.now;
  const ledger = createLedgerService(deps);
  const cache = createTtlCache<Result<LedgerReport>>({ ttlMs: deps.cacheTtlMs ?? 5000, now });
  const report = (q: Record<string, string>) => cache.get(JSON.stringify(q), () => ledger.ledger(q));
  const zone = deps.registry.sites[0]?.timeZone ?? 'Asia/Almaty';
  const currentQuarter = (): string => quarterAt(now(), zone).label;

  async function monthLinesOf(
    quarterReport: LedgerReport,
  ): Promise<Map<string, { month: string; lines: readonly LedgerLine[] }>> {
    const clock = quarterClock(quarterReport);
    const out = new Map<string, { month: string; lines: readonly LedgerLine[] }>();
    await Promise.all(
      deps.registry.sites
        .filter((s) => s.monthlyQuotaKwh !== undefined)
        .map(async (site) => {
          const month = quotaMonth(clock, site.timeZone);
          const r = await report({ period: month, site: site.id });
          if (r.ok) out.set(site.id, { month, lines: r.value.lines });
        }),
    );
    return out;
  }

  function liveRows(): MeterLiveRow[] {
    const t = now();
    return deps.registry.meters.map((m) => liveRow(m, deps.live.get(m.id), t));
  }

  async function meterLedgerRows(): Promise<{
    quarter: string;
    asOf: string | null;
    rows: Map<string, MeterLedgerRow>;
  }> {
    const quarter = currentQuarter();
    const r = await report({ period: quarter });
    if (!r.ok) throw new Error(r.reason);
    const byMeter = new Map<string, LedgerLine[]>();
    for (const l of r.value.lines) {
      let lines = byMeter.get(l.meterId);
      if (!lines) byMeter.set(l.meterId, (lines = []));
      lines.push(l);
    }
    return {
      quarter,
      asOf: r.value.period.asOf ?? null,
      rows: new Map([...byMeter].map(([id, lines]) => [id, ledgerRow(lines)])),
    };
  }

  return {
    currentQuarter,
    liveRows,
    meterLedgerRows,

    async overview(period?: string): Promise<Result<OverviewView>> {
      const r = await report({ period: period ?? currentQuarter() });
      if (!r.ok) return r;
      // The quarter before, for the daily bars' comparison (a quarter only; cached like the rest).
      const before = /^\d{4}-Q[1-4]$/.test(r.value.period.label)
        ? await report({ period: quarterAt(Date.parse(r.value.period.from) - 1, zone).label })
        : undefined;
      return {
        ok: true,
        value: overviewView(
          r.value,
          deps.registry,
          await monthLinesOf(r.value),
          deps.tariffs,
          before?.ok ? before.value : null,
        ),
      };
    },

    async meters(): Promise<MetersView> {
      const t = now();
      let ledgerRows: Awaited<ReturnType<typeof meterLedgerRows>> | undefined;
      let ledgerError: string | null = null;
      try {
        ledgerRows = await meterLedgerRows();
      } catch (err) {
        ledgerError = (err as Error).message;
      }
      const meters = deps.registry.meters.map((m) => ({
        id: m.id,
        site: m.siteId,
        siteName: deps.registry.siteById.get(m.siteId)?.name ?? m.siteId,
        timeZone: m.timeZone,
        source: inForce(m.sources, t)?.source ?? '',
        reportingIntervalS: m.reportingIntervalS,
        live: liveRow(m, deps.live.get(m.id), t),
        ledger: ledgerRows?.rows.get(m.id) ?? null,
      }));
      return { quarter: ledgerRows?.quarter ?? currentQuarter(), asOf: ledgerRows?.asOf ?? null, ledgerError, meters };
    },

    meterDetail(meter: Meter, fromMs: number, toMs: number): Promise<Result<MeterDetailView>> {
      return loadMeterDetail({ target: deps.target, ledger, registry: deps.registry }, meter, fromMs, toMs, now());
    },
  };
}

export type DashboardData = ReturnType<typeof createDashboardData>;
