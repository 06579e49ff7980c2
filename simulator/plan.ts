/** Builds the simulation plan from a scenario, the meters to simulate and the run's "now". Pure. */
import type { CurtailmentRule, SimMeter, SimPlan } from './plan-types.ts';
import type { Scenario } from './scenario-schema.ts';
import { ScenarioError } from './scenario-load.ts';
import type { SimFormat } from './formats.ts';
import { expandFailures, parseInstantMs, targetMeters } from './failure-plan.ts';

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function formatsOf(scenario: Scenario, meters: readonly SimMeter[]): Record<string, SimFormat> | undefined {
  const entries = Object.entries(scenario.formats ?? {});
  if (!entries.length) return undefined;
  const known = new Set(meters.map((m) => m.id));
  const missing = entries.filter(([id]) => !known.has(id)).map(([id]) => id);
  if (missing.length) throw new ScenarioError(`scenario: formats: not simulated meters: ${missing.join(', ')}`);
  return Object.fromEntries(entries);
}

export function buildPlan(
  scenario: Scenario,
  meters: readonly SimMeter[],
  nowMs: number,
  seedOverride?: number,
): SimPlan {
  const tz = scenario.timeZone;
  // Live runs start on a whole second so readings carry round timestamps.
  const startMs =
    scenario.start === 'now' ? Math.floor(nowMs / 1000) * 1000 : parseInstantMs(scenario.start, tz, nowMs);
  let endMs: number | undefined;
  if (scenario.end !== undefined) endMs = parseInstantMs(scenario.end, tz, nowMs);
  else if (scenario.durationH !== undefined) endMs = startMs + Math.round(scenario.durationH * 3_600_000);
  if (endMs !== undefined && endMs <= startMs) throw new ScenarioError('scenario: end must be after start');
  const seed = seedOverride ?? scenario.seed;
  const range = { startMs, endMs, timeZone: tz };
  const curtailment: CurtailmentRule[] = scenario.curtailment.map((c, i) => {
    const meterIds = new Set(targetMeters(c, meters, `scenario: curtailment[${i}]`).map((m) => m.id));
    if (c.kind === 'daily-run-window')
      return { kind: c.kind, meterIds, fromMin: minuteOfDay(c.from), toMin: minuteOfDay(c.to) };
    return {
      kind: c.kind,
      meterIds,
      fromMs: parseInstantMs(c.from, tz, nowMs),
      toMs: parseInstantMs(c.to, tz, nowMs),
      fraction: c.fraction,
    };
  });
  return {
    name: scenario.name,
    seed,
    startMs,
    endMs,
    meters,
    failures: expandFailures(scenario.failures, meters, range, seed),
    curtailment,
    tsFormat: scenario.tsFormat,
    publishKw: scenario.publishKw,
    rigBehaviour: scenario.rigs,
    ...(formatsOf(scenario, meters) && { formats: formatsOf(scenario, meters) }),
  };
}
