/**
 * Ledger readers: p50/p99 latency of 1, 20 and 200 concurrent requests for one quarter of 1,000 meters,
 * through the service's ledger cache (single flight, bounded computations, cache kept until rollups change)
 * over the store path. "identical": everyone asks the same quarter (a dashboard wall, an accountant's
 * refreshes); "distinct": every request is a different meter subset (per-site views), which the cache cannot
 * share and the limiter queues (up to DEFAULT_MAX_QUEUED) or refuses with 503. Each row prints p50/p99 of the
 * answered requests, how many would be HTTP 2xx and 5xx (an error's statusCode, as the HTTP error handler sends
 * it: 503 for overload and an InfluxDB that does not answer, 500 otherwise) and the process's peak RSS while
 * the row ran (sampled every 20 ms; V8 keeps what it grew, so a row also carries what earlier rows left: the
 * growth over the row's starting RSS is printed too).
 */
import type { TariffSet } from '../src/fees/index.ts';
import { createLedgerCache } from '../src/ledger/ledger-cache.ts';
import { computeStoreLedger, type MeterPeriod } from '../src/ledger/store-ledger.ts';
import { createChangeLog } from '../src/rollup/change-log.ts';
import type { InfluxTarget } from '../src/store/influx-target.ts';

export interface ReadersRow {
  readonly kind: 'identical' | 'distinct' | 'identical, cached';
  readonly concurrent: number;
  readonly answered: number;
  /** Answered (HTTP 200). */
  readonly status2xx: number;
  /** Refused or failed: an error with statusCode 503 (overload, InfluxDB not answering) or any other (500). */
  readonly status5xx: number;
  readonly refused503: number;
  readonly failed: number;
  /** Highest RSS of the bench process while the row ran, MB, and how much above its RSS when the row began. */
  readonly peakRssMb: number;
  readonly peakRssGrowthMb: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly computations: number;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN);
};

export async function benchReaders(
  target: InfluxTarget,
  tariffs: TariffSet,
  meters: readonly MeterPeriod[],
  log: (l: string) => void,
): Promise<ReadersRow[]> {
  const rows: ReadersRow[] = [];
  const run = async (kind: ReadersRow['kind'], concurrent: number, shared?: ReturnType<typeof createLedgerCache>) => {
    const cache = shared ?? createLedgerCache<unknown>({ changes: createChangeLog() });
    const keep = new Map(meters.map((m) => [m.facts.meterId, { fromMs: m.fromMs, toMs: m.toMs }]));
    const times: number[] = [];
    let refused = 0;
    let failed = 0;
    const startRss = process.memoryUsage.rss();
    let peakRss = startRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
    await Promise.all(
      Array.from({ length: concurrent }, async (_, i) => {
        // distinct: 100-meter subsets at different offsets, so no two requests are the same
        const subset = kind === 'distinct' ? meters.slice((i * 7) % 900, ((i * 7) % 900) + 100) : meters;
        const key = kind === 'distinct' ? `d${i}` : 'same';
        const t0 = performance.now();
        try {
          await cache.get(key, async () => ({
            value: await computeStoreLedger({ target, meters: subset, tariffs }),
            keep,
          }));
          times.push(performance.now() - t0);
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 503) refused++;
          else failed++;
        }
      }),
    );
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const row: ReadersRow = {
      kind,
      concurrent,
      answered: times.length,
      status2xx: times.length,
      status5xx: refused + failed,
      refused503: refused,
      failed,
      peakRssMb: Math.round(peakRss / 2 ** 20),
      peakRssGrowthMb: Math.round((peakRss - startRss) / 2 ** 20),
      p50Ms: pct(times, 50),
      p99Ms: pct(times, 99),
      computations: cache.stats().computed,
    };
    rows.push(row);
    log(
      `  readers ${kind} x${concurrent}: p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, 2xx ${row.status2xx}, 5xx ${row.status5xx} ` +
        `(${refused} refused 503, ${failed} other), peak RSS ${row.peakRssMb} MB (+${row.peakRssGrowthMb}), ${row.computations} computations`,
    );
    return cache;
  };
  for (const n of [1, 20, 200]) await run('identical', n);
  const warm = createLedgerCache<unknown>({ changes: createChangeLog() });
  await run('identical', 1, warm); // fills the cache
  rows.pop();
  await run('identical, cached', 200, warm);
  for (const n of [1, 20, 200]) await run('distinct', n);
  return rows;
}
