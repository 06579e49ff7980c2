/**
 * Issue 12, "work per message bounded": one message yields a bounded number of stored rejection records and
 * log lines whatever its size, and a storm of bad messages is logged in summaries, not line by line.
 * Reproduction from the drill: one 262,143-byte message `[0,0,...]` (131,071 bad elements) produced
 * 131,071 rejected points and 131,071 warning lines.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createIngestMetrics } from '../../../src/ingest/metrics.ts';
import { createIngestPipeline } from '../../../src/ingest/pipeline.ts';
import { createLiveState } from '../../../src/live/live-state.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import type { BatchWriter } from '../../../src/store/batch-writer.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const registry = loadRegistry(DEVICES_DIR);

function harness(nowMs = Date.UTC(2025, 8, 1), reg = registry) {
  const lines: string[] = [];
  const logLines: string[] = [];
  const writer = {
    async write(ls: readonly string[]) {
      lines.push(...ls);
    },
  } as unknown as BatchWriter;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) logLines.push(l);
      cb();
    },
  });
  const metrics = createIngestMetrics();
  let now = nowMs;
  const pipeline = createIngestPipeline({
    registry: reg,
    writer,
    metrics,
    live: createLiveState(),
    log: pino({ level: 'info' }, sink),
    maxPayloadBytes: 256 * 1024,
    maxFutureSkewS: 300,
    rejectedPayloadMaxBytes: 1024,
    now: () => now,
  });
  const rejectedTotal = async () => (await metrics.rejected.get()).values.reduce((s, v) => s + v.value, 0);
  return {
    pipeline,
    lines,
    logLines,
    rejectedTotal,
    advance: (ms: number) => (now += ms),
    rejectedLines: () => lines.filter((l) => l.startsWith('rejected,')),
  };
}

describe('bounded work per message (issue 12)', () => {
  it('a 262,143-byte message of 131,071 bad elements stores one rejection record per reason and logs at most one line', async () => {
    const h = harness();
    const payload = Buffer.from(`[${Array.from({ length: 131_071 }, () => '0').join(',')}]`);
    expect(payload.byteLength).toBe(262_143);
    await h.pipeline.handle('meters/ekb-1-m01/reading', payload);
    // Every bad element is still counted ...
    expect(await h.rejectedTotal()).toBe(131_071);
    // ... but stored as one record carrying the count, with a capped sample of the payload.
    const stored = h.rejectedLines();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^rejected,reason=schema,meter=ekb-1-m01 /);
    expect(stored[0]).toContain('count=131071i');
    expect(stored[0]!.length).toBeLessThan(4096);
    expect(h.logLines.length).toBeLessThanOrEqual(1);
  });

  it('a batch mixing reasons stores one record per reason, and its good readings', async () => {
    const h = harness();
    const t = Date.UTC(2025, 7, 1);
    const batch = [
      { ts: t, kwh: 1 },
      0,
      'x',
      { ts: t + 60_000, kwh: -1 },
      { ts: Date.UTC(2026, 0, 1), kwh: 2 },
      { ts: Date.UTC(2026, 0, 2), kwh: 2 },
      { ts: t + 120_000, kwh: 1.5 },
    ];
    await h.pipeline.handle('meters/ekb-1-m01/reading', Buffer.from(JSON.stringify(batch)));
    expect(h.lines.filter((l) => l.startsWith('reading,'))).toHaveLength(2);
    const stored = h.rejectedLines();
    expect(stored.map((l) => /reason=([^,]+)/.exec(l)?.[1]).sort()).toEqual(['future-timestamp', 'schema']);
    expect(stored.find((l) => l.includes('reason=schema'))).toContain('count=3i');
    expect(stored.find((l) => l.includes('reason=future-timestamp'))).toContain('count=2i');
    expect(await h.rejectedTotal()).toBe(5);
  });

  it('a storm of 10,000 garbage messages writes a bounded number of log lines, with a summary of what was held back', async () => {
    const h = harness();
    for (let i = 0; i < 10_000; i++) {
      await h.pipeline.handle('meters/ekb-1-m02/reading', Buffer.from(i % 2 ? '{kwh: 12' : '[]'));
      if (i % 100 === 0) h.advance(1000); // 100 s of storm
    }
    h.advance(60_000);
    await h.pipeline.handle('meters/ekb-1-m02/reading', Buffer.from('{kwh: 12'));
    expect(await h.rejectedTotal()).toBe(10_001);
    // every message is still stored (one record each) so the rejected view shows it ...
    expect(h.rejectedLines()).toHaveLength(10_001);
    // ... but the log holds a few lines a window plus summaries, not 10,000 lines
    expect(h.logLines.length).toBeLessThan(200);
    const summaries = h.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.suppressed);
    expect(summaries.length).toBeGreaterThan(0);
    const held = summaries.reduce((s, l) => s + Number(l.suppressed), 0);
    const shown = h.logLines.length - summaries.length;
    expect(held + shown).toBe(10_001);
  });

  it('a decoder that throws (issue 22: a stack overflow) costs one decoder-failed record, an acknowledgement and a bounded log', async () => {
    const broken = {
      ...registry,
      meterById: {
        get: () => {
          throw new RangeError('Maximum call stack size exceeded');
        },
      },
    } as unknown as typeof registry;
    const h = harness(Date.UTC(2025, 8, 1), broken);
    for (let i = 0; i < 1000; i++) await h.pipeline.handle('meters/ekb-1-m01/reading', Buffer.from('{}'));
    const stored = h.rejectedLines();
    expect(stored).toHaveLength(1000);
    expect(stored[0]).toMatch(/^rejected,reason=decoder-failed /);
    expect(stored[0]).toContain('Maximum call stack size exceeded');
    const errors = h.logLines.map((l) => JSON.parse(l) as { level: number }).filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
  });
});
