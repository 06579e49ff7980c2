/**
 * Energy per local day, per site and energy source, metered and substituted: what the overview's daily
 * bars show. Pure. A ledger line covers a stretch of identical treatment, often many days; its energy is
 * split over the days it covers in proportion to time (cumulative integer shares, so the days of a line
 * add up to the line exactly). Within a metered line this is the average power over the line, which is
 * what the ledger itself knows; the chart says so.
 */
import { type EnergySource, type LedgerLine, localDateOf, zonedMidnightMs } from '../../fees/index.ts';
import { addDays } from '../../fees/zoned-time.ts';

export interface DayEnergy {
  readonly meteredWh: number;
  readonly substitutedWh: number;
}

export interface SiteDays {
  readonly siteId: string;
  /** Local dates 'YYYY-MM-DD' from the period's first day to its last day (or to asOf). */
  readonly days: readonly string[];
  /** Per source, one entry per day. */
  readonly sources: Readonly<Partial<Record<EnergySource, readonly DayEnergy[]>>>;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local midnights from fromMs's day to the day containing toMs - 1 (one more: the end of the last day). */
export function dayStarts(fromMs: number, toMs: number, timeZone: string): { dates: string[]; startsMs: number[] } {
  const dates: string[] = [];
  const startsMs: number[] = [];
  let d = localDateOf(fromMs, timeZone);
  let t = zonedMidnightMs(d, timeZone);
  while (t < toMs) {
    dates.push(`${d.year}-${pad2(d.month)}-${pad2(d.day)}`);
    startsMs.push(t);
    d = addDays(d, 1);
    t = zonedMidnightMs(d, timeZone);
  }
  startsMs.push(t);
  return { dates, startsMs };
}

/** Splits each line's energy over the days in `startsMs` (n + 1 boundaries), adding into out[day]. */
function spread(line: LedgerLine, startsMs: readonly number[], add: (day: number, wh: number) => void): void {
  const dur = BigInt(line.toMs - line.fromMs);
  if (dur <= 0n) return;
  const e = BigInt(line.energyWh);
  let given = 0n;
  for (let i = 0; i + 1 < startsMs.length; i++) {
    const a = Math.max(line.fromMs, startsMs[i]!);
    const b = Math.min(line.toMs, startsMs[i + 1]!);
    if (b <= a) continue;
    const upTo = (e * BigInt(b - line.fromMs)) / dur;
    add(i, Number(upTo - given));
    given = upTo;
  }
}

export function dailyEnergy(
  lines: readonly LedgerLine[],
  sites: readonly { id: string; timeZone: string }[],
  fromMs: number,
  toMs: number,
): SiteDays[] {
  return sites.map((site) => {
    const { dates, startsMs } = dayStarts(fromMs, toMs, site.timeZone);
    const sources: Partial<Record<EnergySource, { meteredWh: number; substitutedWh: number }[]>> = {};
    for (const l of lines) {
      if (l.siteId !== site.id) continue;
      const days = (sources[l.energySource] ??= dates.map(() => ({ meteredWh: 0, substitutedWh: 0 })));
      spread(l, startsMs, (i, wh) => {
        if (l.basis === 'metered') days[i]!.meteredWh += wh;
        else days[i]!.substitutedWh += wh;
      });
    }
    return { siteId: site.id, days: dates, sources };
  });
}
