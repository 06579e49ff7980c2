/**
 * Which rigs of a meter run at an instant: daily run windows (local time of
 * the site) and curtailment windows that stop a fraction of the rigs (the
 * same rigs every time: chosen by a hash of the serial, not at random).
 */
import type { CurtailmentRule, SimMeter } from './plan-types.ts';
import { hash32 } from './prng.ts';
import { localMinuteOfDay } from './local-time.ts';

export interface RunGate {
  /** Call once per step, then ask per rig. */
  at(tMs: number): void;
  running(rigIndex: number): boolean;
}

function inDailyWindow(minute: number, fromMin: number, toMin: number): boolean {
  if (fromMin === toMin) return true;
  return fromMin < toMin ? minute >= fromMin && minute < toMin : minute >= fromMin || minute < toMin;
}

export function createRunGate(rules: readonly CurtailmentRule[], meter: SimMeter): RunGate {
  const mine = rules.filter((r) => r.meterIds.has(meter.id));
  const daily = mine.filter((r) => r.kind === 'daily-run-window');
  const windows = mine.filter((r) => r.kind === 'curtail');
  const rank = meter.rigs.map((r) => hash32(`curtail:${r.serial}`) / 4294967296);
  let dailyOk = true;
  let stoppedFraction = 0;
  return {
    at(tMs) {
      dailyOk = true;
      if (daily.length) {
        const minute = localMinuteOfDay(tMs, meter.timeZone);
        dailyOk = daily.every((d) => inDailyWindow(minute, d.fromMin, d.toMin));
      }
      stoppedFraction = 0;
      for (const w of windows)
        if (tMs >= w.fromMs && tMs < w.toMs && w.fraction > stoppedFraction) stoppedFraction = w.fraction;
    },
    running(i) {
      return dailyOk && rank[i]! >= stoppedFraction;
    },
  };
}
