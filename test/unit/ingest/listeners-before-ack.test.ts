/**
 * The pipeline's contract: the listeners (rollup marks, fee days, seals, the live view) are told of a stored
 * message before it is acknowledged. Review of issue 27's change: when a message with nothing to tell (a
 * rejected one) opened the write group, the pipeline did not react to that group's promise first, so the
 * broker's acknowledgements of the whole group (the embedded broker's and the external subscriber's, both
 * added after accept() returns) ran before the listeners heard of the readings in it.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createIngestMetrics } from '../../../src/ingest/metrics.ts';
import { createIngestPipeline } from '../../../src/ingest/pipeline.ts';
import { createLiveState } from '../../../src/live/live-state.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import type { BatchWriter } from '../../../src/store/batch-writer.ts';
import { createSettleGroups } from '../../../src/util/settle-groups.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const registry = loadRegistry(DEVICES_DIR);

describe('listeners before acknowledgements', () => {
  it('a group opened by a rejected message: the readings after it reach the listeners before any PUBACK', async () => {
    let release: () => void = () => {};
    const group = new Promise<void>((r) => (release = r)); // one write group: every message gets its promise
    const writer = { write: () => group } as unknown as BatchWriter;
    const events: string[] = [];
    const pipeline = createIngestPipeline({
      registry,
      writer,
      metrics: createIngestMetrics(),
      live: createLiveState(),
      log: pino({ level: 'silent' }),
      maxPayloadBytes: 65536,
      maxFutureSkewS: 300,
      rejectedPayloadMaxBytes: 1024,
      listeners: [{ stored: (readings) => events.push(`told ${readings.length}`) }],
    });
    // As the brokers do: the acknowledgement reacts to the promise accept() returned, once per write group.
    const acks = createSettleGroups<string>((ids) => events.push(`ack ${ids.join(',')}`));
    const meter = registry.meters[0]!.id;
    acks.add(pipeline.accept(`meters/${meter}/reading`, Buffer.from('{not json')), 'm1');
    acks.add(
      pipeline.accept(`meters/${meter}/reading`, Buffer.from(JSON.stringify({ ts: Date.now() - 60_000, kwh: 5 }))),
      'm2',
    );
    release();
    await group;
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['told 1', 'ack m1,m2']);
    pipeline.stop();
  });
});
