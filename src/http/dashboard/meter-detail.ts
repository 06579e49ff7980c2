/**
 * The meter detail page's data: kW and register over a range (raw, or downsampled in InfluxQL), the
 * substituted intervals with their reasons from the ledger of the meter's site for that range, and the
 * rejected messages stored for the meter. Thin shell over the store's readers and the ledger service.
 */
import { formatWhAsKwh, totalsOf } from '../../fees/index.ts';
import type { Result } from '../../util/result.ts';
import type { LedgerService } from '../../ledger/ledger-service.ts';
import type { Meter, Registry } from '../../registry/types.ts';
import {
  type ChartSeries,
  type Resolution,
  readMeterSeries,
  readRejected,
  type RejectedList,
} from '../../store/query/meter-series.ts';
import type { InfluxTarget } from '../../store/influx-target.ts';
import { inForce } from './meter-state.ts';
import { breakGaps, chooseResolution } from './series-resolution.ts';
import { type SubstitutedInterval, substitutedIntervals } from './substituted-intervals.ts';
import { tengeOf } from './tenge.ts';

export interface MeterDetailView {
  readonly meter: {
    readonly id: string;
    readonly site: string;
    readonly siteName: string;
    readonly timeZone: string;
    readonly source: string;
    readonly reportingIntervalS: number;
    readonly maxLoadKw: number;
  };
  readonly range: {
    readonly from: string;
    readonly to: string;
    readonly resolution: Resolution;
    readonly complete: boolean;
    readonly asOf: string | null;
  };
  /** Column arrays for the chart: time in epoch seconds, kW, register in integer Wh (null: no data there). */
  readonly series: ChartSeries;
  readonly ledger: { readonly meteredKwh: string; readonly substitutedKwh: string; readonly feeTenge: string };
  readonly substituted: readonly SubstitutedInterval[];
  readonly rejected: RejectedList;
}

/** A pause longer than this many reporting intervals shows as a gap in a raw chart (the fee engine's grace is 3). */
const GAP_INTERVALS = 3;

async function chartSeries(
  target: InfluxTarget,
  meter: Meter,
  fromMs: number,
  toMs: number,
  res: Resolution,
): Promise<ChartSeries> {
  const out = await readMeterSeries(target, meter.id, fromMs, toMs, res);
  return res.raw ? breakGaps(out, GAP_INTERVALS * meter.reportingIntervalS) : out;
}

export async function loadMeterDetail(
  deps: { target: InfluxTarget; ledger: LedgerService; registry: Registry },
  meter: Meter,
  fromMs: number,
  toMs: number,
  nowMs: number,
): Promise<Result<MeterDetailView>> {
  const site = deps.registry.siteById.get(meter.siteId);
  const resolution = chooseResolution(toMs - fromMs, meter.reportingIntervalS);
  const iso = (ms: number) => new Date(ms).toISOString();
  const [report, series, rejected] = await Promise.all([
    deps.ledger.ledger({ site: meter.siteId, from: iso(fromMs), to: iso(toMs) }),
    chartSeries(deps.target, meter, fromMs, toMs, resolution),
    readRejected(deps.target, meter.id, fromMs, toMs),
  ]);
  if (!report.ok) return report;
  const lines = report.value.lines.filter((l) => l.meterId === meter.id);
  const totals = totalsOf(lines);
  return {
    ok: true,
    value: {
      meter: {
        id: meter.id,
        site: meter.siteId,
        siteName: site?.name ?? meter.siteId,
        timeZone: meter.timeZone,
        source: inForce(meter.sources, nowMs)?.source ?? '',
        reportingIntervalS: meter.reportingIntervalS,
        maxLoadKw: (inForce(meter.maxLoad, nowMs)?.maxLoadW ?? 0) / 1000,
      },
      range: {
        from: iso(fromMs),
        to: iso(toMs),
        resolution,
        complete: report.value.period.complete,
        asOf: report.value.period.asOf ?? null,
      },
      series,
      ledger: {
        meteredKwh: formatWhAsKwh(totals.meteredWh),
        substitutedKwh: formatWhAsKwh(totals.substitutedWh),
        feeTenge: tengeOf(totals.feeMilliTiyn),
      },
      substituted: substitutedIntervals(lines),
      rejected,
    },
  };
}
