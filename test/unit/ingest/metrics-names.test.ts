import { describe, expect, it } from 'vitest';
import { createIngestMetrics, registerMeterGauges } from '../../../src/ingest/metrics.ts';
import { createLiveState } from '../../../src/live/live-state.ts';
import { packageVersion } from '../../../src/util/version.ts';

const NOW = Date.parse('2025-07-01T00:10:00Z');

describe('metric names follow the Prometheus conventions', () => {
  it('process and Node.js metrics are unprefixed; every counter ends in _total; ours start with kzm_', async () => {
    const m = createIngestMetrics();
    const text = await m.registry.metrics();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_total_bytes /m);
    expect(text).not.toContain('kzm_process_');
    for (const metric of await m.registry.getMetricsAsJSON()) {
      if (String(metric.type) === 'counter') expect(metric.name, metric.name).toMatch(/_total$/);
      if (!/^(process|nodejs)_/.test(metric.name)) expect(metric.name).toMatch(/^kzm_/);
    }
  });

  it('kzm_build_info carries the package version and Node.js version', async () => {
    const text = await createIngestMetrics().registry.metrics();
    expect(text).toContain(`kzm_build_info{version="${packageVersion()}",nodejs_version="${process.version}"} 1`);
  });

  it('per-meter gauges: last arrival and reading time, grace, offline after the grace or a last will', async () => {
    const m = createIngestMetrics();
    const live = createLiveState();
    const meters = [
      { id: 'a', siteId: 's1', reportingIntervalS: 60 },
      { id: 'b', siteId: 's1', reportingIntervalS: 60 },
      { id: 'c', siteId: 's2', reportingIntervalS: 60 },
      { id: 'never', siteId: 's2', reportingIntervalS: 60 },
    ];
    let now = NOW;
    registerMeterGauges(m.registry, { meters, live, now: () => now });
    const reading = (meterId: string, tsMs: number) => ({
      meterId,
      siteId: 's1',
      tsMs,
      registerWh: 1,
      status: 'ok' as const,
    });
    live.onReading(reading('a', NOW - 70_000), NOW - 60_000);
    live.onReading(reading('b', NOW - 200_000), NOW - 200_000);
    live.onReading(reading('c', NOW - 1000), NOW - 1000);
    live.onStatus({ meterId: 'c', siteId: 's2', state: 'offline' }, NOW);
    const text = await m.registry.metrics();
    expect(text).toContain(`kzm_meter_last_received_timestamp_seconds{meter="a",site="s1"} ${(NOW - 60_000) / 1000}`);
    expect(text).toContain(`kzm_meter_last_reading_timestamp_seconds{meter="a",site="s1"} ${(NOW - 70_000) / 1000}`);
    expect(text).toContain('kzm_meter_grace_seconds{meter="a",site="s1"} 180');
    expect(text).toContain('kzm_meter_offline{meter="a",site="s1"} 0');
    expect(text).toContain('kzm_meter_offline{meter="b",site="s1"} 1');
    expect(text).toContain('kzm_meter_offline{meter="c",site="s2"} 1');
    expect(text).not.toMatch(/kzm_meter_offline\{meter="never"/);
    now += 200_000;
    expect(await m.registry.metrics()).toContain('kzm_meter_offline{meter="a",site="s1"} 1');
  });
});
