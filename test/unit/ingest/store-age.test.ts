/**
 * Issue 14, latency: `kzm_ingest_reading_age_at_store_seconds` observes, once per message, how old its newest
 * reading is when its write is acknowledged (publish -> stored for a live meter), and only after the write.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createIngestMetrics } from '../../../src/ingest/metrics.ts';
import { createIngestPipeline } from '../../../src/ingest/pipeline.ts';
import { createLiveState } from '../../../src/live/live-state.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import type { BatchWriter } from '../../../src/store/batch-writer.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const registry = loadRegistry(DEVICES_DIR);
const T0 = Date.UTC(2025, 8, 1);

describe('reading age at store', () => {
  it('is observed after the write, from the newest reading of the message', async () => {
    let now = T0;
    let release: () => void = () => {};
    const writer = {
      write: () =>
        new Promise<void>((r) => {
          release = r;
        }),
    } as unknown as BatchWriter;
    const metrics = createIngestMetrics();
    const pipeline = createIngestPipeline({
      registry,
      writer,
      metrics,
      live: createLiveState(),
      log: pino({ level: 'silent' }),
      maxPayloadBytes: 65536,
      maxFutureSkewS: 300,
      rejectedPayloadMaxBytes: 1024,
      now: () => now,
    });
    const meter = registry.meters.find((m) => m.commissionedMs < T0 - 3_600_000)!.id;
    const payload = JSON.stringify([
      { ts: T0 - 60_000, kwh: 1000 },
      { ts: T0 - 2_000, kwh: 1001 },
    ]);
    const handled = pipeline.handle(`meters/${meter}/reading`, Buffer.from(payload));
    await new Promise((r) => setImmediate(r));
    const count = async () => (await metrics.storedAge.get()).values.find((v) => v.metricName?.endsWith('_count'));
    expect((await count())?.value).toBe(0);
    now += 500; // stored half a second after arrival: the newest reading is 2.5 s old
    release();
    await handled;
    const values = (await metrics.storedAge.get()).values;
    expect((await count())?.value).toBe(1);
    const sum = values.find((v) => v.metricName?.endsWith('_sum'))?.value;
    expect(sum).toBeCloseTo(2.5, 6);
    const le = (b: number) => values.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === b)?.value;
    expect(le(2)).toBe(0);
    expect(le(3)).toBe(1);
    pipeline.stop();
  });
});
