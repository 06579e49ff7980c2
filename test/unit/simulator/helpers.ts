import { loadRegistry } from '../../../src/registry/load.ts';
import { parseScenario } from '../../../simulator/scenario-load.ts';
import { buildPlan } from '../../../simulator/plan.ts';
import { simMetersFromRegistry } from '../../../simulator/sim-meters.ts';
import { generateStream } from '../../../simulator/stream.ts';
import type { SimMessage, PublishMessage } from '../../../simulator/message.ts';
import type { SimPlan } from '../../../simulator/plan-types.ts';

export const registry = loadRegistry('devices');
export const NOW = Date.UTC(2025, 11, 1);

/** A plan from an inline scenario over the example registry. */
export function planOf(doc: Record<string, unknown>, seed?: number): SimPlan {
  const scenario = parseScenario({ name: 'test', ...doc });
  return buildPlan(scenario, simMetersFromRegistry(registry, scenario), NOW, seed);
}

export function collect(plan: SimPlan): SimMessage[] {
  return [...generateStream(plan)];
}

export const publishes = (ms: SimMessage[]): PublishMessage[] =>
  ms.filter((m): m is PublishMessage => m.type === 'publish');
export const readingsOf = (ms: SimMessage[], meterId: string) =>
  publishes(ms)
    .filter((m) => m.topic === `meters/${meterId}/reading` && (m.kind === 'reading' || m.kind === 'flush'))
    .flatMap((m) => m.readings ?? []);

/** One meter, one day at 5-minute readings, from 2025-07-01 local midnight. */
export const oneMeterDay = (failures: unknown[], extra: Record<string, unknown> = {}) =>
  planOf({
    meters: ['ekb-1-m01'],
    start: '2025-07-01',
    end: '2025-07-02',
    reportingIntervalS: 300,
    failures,
    ...extra,
  });
