/**
 * A run without a broker: the stream as if every message were delivered, and
 * the ground truth that goes with it. For tests and for inspecting a
 * scenario (`wouldSend`).
 */
import type { SimPlan } from './plan-types.ts';
import type { SimMessage } from './message.ts';
import type { TariffSet } from '../src/fees/tariff.ts';
import { generateStream } from './stream.ts';
import { createTruthCollector } from './truth/collector.ts';
import { buildGroundTruth } from './truth/ground-truth.ts';

export function dryRun(
  plan: SimPlan,
  opts: { tariffs?: TariffSet; willsInHistory?: boolean; onMessage?: (m: SimMessage) => void; untilMs?: number } = {},
): { messages: number; truth: Record<string, unknown> } {
  const collector = createTruthCollector(new Map(plan.meters.map((m) => [m.id, m.timeZone])));
  let messages = 0;
  let lastAtMs = plan.startMs;
  const endMs = plan.endMs ?? opts.untilMs;
  if (endMs === undefined) throw new Error('dryRun: an open-ended plan needs untilMs');
  for (const m of generateStream(plan, collector)) {
    if (m.atMs > endMs) break;
    opts.onMessage?.(m);
    collector.onSent(m);
    messages++;
    lastAtMs = m.atMs;
  }
  const truth = buildGroundTruth({
    plan,
    collector,
    coveredToMs: plan.endMs ?? lastAtMs,
    tariffs: opts.tariffs,
    tariffNote: opts.tariffs ? 'given' : 'none',
    willsInHistory: opts.willsInHistory ?? false,
    clock: 'dry-run',
  });
  return { messages, truth };
}
