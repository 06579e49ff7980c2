import type { LiveState } from './live-state.ts';
import { influxql, rows } from '../store/query/client.ts';
import type { InfluxTarget } from '../store/influx-target.ts';

/** Fill the live view from what is stored, so /api/meters is right right after a restart. */
export async function seedLiveState(target: InfluxTarget, live: LiveState): Promise<void> {
  const readings = await influxql(
    target,
    'SELECT last(wh) AS wh, last(kw) AS kw, last(fault) AS fault, last(rx_ms) AS rx FROM reading WHERE time > now() - 30d GROUP BY meter',
  );
  for (const s of readings) {
    const r = rows(s)[0];
    const meter = s.tags.meter;
    if (!r || !meter) continue;
    live.seed(meter, {
      lastReadingTsMs: r.time as number,
      lastRegisterWh: r.wh as number,
      ...(typeof r.kw === 'number' && { lastKw: r.kw }),
      ...(typeof r.rx === 'number' && { lastReceivedMs: r.rx }),
      lastReadingStatus: r.fault === 1 ? 'fault' : 'ok',
    });
  }
  const status = await influxql(
    target,
    'SELECT last(state) AS state FROM meter_status WHERE time > now() - 30d GROUP BY meter',
  );
  for (const s of status) {
    const r = rows(s)[0];
    if (r && s.tags.meter && (r.state === 'online' || r.state === 'offline'))
      live.seed(s.tags.meter, { status: r.state, statusSinceMs: r.time as number });
  }
}
