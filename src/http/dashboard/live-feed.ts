/**
 * What the dashboard's event stream carries, and when:
 *   meters        on connect: `meters` (every meter's live row); then `meter` with the rows that changed,
 *                 soon after ingest touches a meter (live-state subscribe) and on a tick, since a meter
 *                 that goes silent changes state with no event at all (offline after 3 intervals);
 *   overview      on connect and every refreshMs: `overview`, the current quarter's overview;
 *   meter-ledger  on connect and every refreshMs: `meter-ledger`, substituted hours and since per meter.
 * Timers and the live-state subscription run only while some stream is open.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { LiveState } from '../../live/live-state.ts';
import type { DashboardData } from './dashboard-data.ts';
import type { DashboardTopic } from './query-schemas.ts';
import { type SseClient, createSseHub } from './sse-hub.ts';

export interface LiveFeedOptions {
  readonly data: DashboardData;
  readonly live: LiveState;
  readonly log?: FastifyBaseLogger;
  /** Re-evaluation of every meter's state (default 1 s). */
  readonly tickMs?: number;
  /** Delay between a live-state change and its event (batches a burst; default 200 ms). */
  readonly flushMs?: number;
  /** Overview and ledger columns (default 15 s; the ledger itself is cached for a few seconds). */
  readonly refreshMs?: number;
}

export function createLiveFeed(opts: LiveFeedOptions) {
  const lastSent = new Map<string, string>();
  const timers: NodeJS.Timeout[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const hub = createSseHub<DashboardTopic>({ onChange: (n) => (n > 0 ? start() : stop()) });

  function flush(): void {
    flushTimer = undefined;
    const changed = opts.data.liveRows().filter((r) => {
      const json = JSON.stringify(r);
      if (lastSent.get(r.id) === json) return false;
      lastSent.set(r.id, json);
      return true;
    });
    if (changed.length > 0) hub.broadcast('meters', 'meter', changed);
  }

  const overview = async (to?: SseClient<DashboardTopic>) => {
    const r = await opts.data.overview();
    if (!r.ok) return;
    if (to) to.send('overview', r.value);
    else hub.broadcast('overview', 'overview', r.value);
  };
  const meterLedger = async (to?: SseClient<DashboardTopic>) => {
    const r = await opts.data.meterLedgerRows();
    const data = { quarter: r.quarter, asOf: r.asOf, rows: Object.fromEntries(r.rows) };
    if (to) to.send('meter-ledger', data);
    else hub.broadcast('meter-ledger', 'meter-ledger', data);
  };
  const quietly = (what: string, p: Promise<void>) =>
    p.catch((err: Error) => opts.log?.warn({ err: err.message }, `Dashboard ${what} not refreshed.`));

  function refresh(): void {
    if (hub.count('overview') > 0) void quietly('overview', overview());
    if (hub.count('meter-ledger') > 0) void quietly('ledger columns', meterLedger());
  }

  function start(): void {
    if (unsubscribe) return;
    unsubscribe = opts.live.subscribe(() => {
      flushTimer ??= setTimeout(flush, opts.flushMs ?? 200);
    });
    timers.push(setInterval(flush, opts.tickMs ?? 1000), setInterval(refresh, opts.refreshMs ?? 15_000));
  }

  function stop(): void {
    unsubscribe?.();
    unsubscribe = undefined;
    for (const t of timers.splice(0)) clearInterval(t);
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    lastSent.clear();
  }

  return {
    connect(res: ServerResponse, topics: readonly DashboardTopic[]): void {
      const client = hub.open(res, topics);
      if (client.topics.has('meters')) {
        const rows = opts.data.liveRows();
        for (const r of rows) if (!lastSent.has(r.id)) lastSent.set(r.id, JSON.stringify(r));
        client.send('meters', rows);
      }
      if (client.topics.has('overview')) void quietly('overview', overview(client));
      if (client.topics.has('meter-ledger')) void quietly('ledger columns', meterLedger(client));
    },
    close(): void {
      hub.closeAll();
      stop();
    },
  };
}
