/**
 * Issue 27's figures from the drain runs: min / median per consumer, kzmeter's ratios to the references
 * measured in the same run (medians), and each target met or not. Pure, so a unit test holds the arithmetic.
 */

/** What one drain of one consumer measured. */
export interface DrainFigures {
  usPerReading: number;
  influxdUsPerReading: number;
  readingsPerS: number;
  peakRssMb: number;
  /** The idle start-up subtracted (CPU ms to the ready point, and until quiet), where one was. */
  idleStartMs?: number;
  /**
   * Of it (or before an embedded run's span), the CPU ms after the ready point until the process was quiet
   * (bench/proc-cpu.ts settledCpuMs; 0 when it did not go quiet: then nothing after the ready point is taken).
   */
  settleMs?: number;
  /** Whether it went quiet within 10 s (otherwise taken at the ready point). */
  quiet?: boolean;
}

export interface Summary {
  usPerReading: { min: number; median: number };
  influxdUsPerReading: { min: number; median: number };
  readingsPerS: { min: number; median: number };
  /** The highest of the runs. */
  peakRssMb: number;
  /** Median CPU of the idle start-up subtracted, ms (absent for the embedded variant: nothing subtracted). */
  idleStartMs?: number;
  /** Median CPU ms of that (or before an embedded span) after the ready point, until quiet. */
  settleMs?: number;
  /** Runs in which it went quiet within 10 s (the others were taken at the ready point). */
  quietRuns?: number;
  runs: number;
}

/** The lower median (of 2 runs, the smaller): what the README's figures have always been. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export function summarise(runs: DrainFigures[]): Summary {
  const f = (get: (x: DrainFigures) => number) => ({
    min: +Math.min(...runs.map(get)).toFixed(1),
    median: +median(runs.map(get)).toFixed(1),
  });
  return {
    usPerReading: f((x) => x.usPerReading),
    influxdUsPerReading: f((x) => x.influxdUsPerReading),
    readingsPerS: f((x) => x.readingsPerS),
    peakRssMb: Math.round(Math.max(...runs.map((x) => x.peakRssMb))),
    ...(runs[0]?.idleStartMs !== undefined && { idleStartMs: median(runs.map((x) => x.idleStartMs ?? 0)) }),
    ...(runs[0]?.settleMs !== undefined && { settleMs: median(runs.map((x) => x.settleMs ?? 0)) }),
    ...(runs[0]?.quiet !== undefined && { quietRuns: runs.filter((x) => x.quiet).length }),
    runs: runs.length,
  };
}

/** Issue 27's targets: ratios at most these, peak RSS below. */
export const DRAIN_TARGETS = {
  cpuVsMinimal: 2.0,
  cpuVsNodeRed: 0.8,
  influxdVsMinimal: 2.0,
  embeddedCpuVsReference: 2.0,
  kzmeterPeakRssMb: 300,
} as const;

export type Ratios = Record<keyof typeof DRAIN_TARGETS, number | null>;

/**
 * a / b, or null when either did not run or came out <= 0 (a small run: the idle start-up's variance is larger
 * than the drain's CPU), which is no figure to compare.
 */
const ratio = (a: Summary | undefined, b: Summary | undefined, get: (s: Summary) => number) =>
  a && b && get(a) > 0 && get(b) > 0 ? +(get(a) / get(b)).toFixed(2) : null;

/** The ratios of medians (null where a consumer did not run) and whether each target is met. */
export function drainRatios(s: {
  minimal?: Summary;
  kzmeter?: Summary;
  nodeRed?: Summary;
  aedesMinimal?: Summary;
  kzmeterEmbedded?: Summary;
}): { ratios: Ratios; met: Record<keyof typeof DRAIN_TARGETS, boolean | null> } {
  const cpu = (x: Summary) => x.usPerReading.median;
  const rssRuns = [s.kzmeter, s.kzmeterEmbedded].filter((x): x is Summary => x !== undefined);
  const ratios: Ratios = {
    cpuVsMinimal: ratio(s.kzmeter, s.minimal, cpu),
    cpuVsNodeRed: ratio(s.kzmeter, s.nodeRed, cpu),
    influxdVsMinimal: ratio(s.kzmeter, s.minimal, (x) => x.influxdUsPerReading.median),
    embeddedCpuVsReference: ratio(s.kzmeterEmbedded, s.aedesMinimal, cpu),
    kzmeterPeakRssMb: rssRuns.length > 0 ? Math.max(...rssRuns.map((x) => x.peakRssMb)) : null,
  };
  const met = Object.fromEntries(
    Object.entries(ratios).map(([k, v]) => {
      const limit = DRAIN_TARGETS[k as keyof typeof DRAIN_TARGETS];
      return [k, v === null ? null : k === 'kzmeterPeakRssMb' ? v < limit : v <= limit];
    }),
  ) as Record<keyof typeof DRAIN_TARGETS, boolean | null>;
  return { ratios, met };
}

const LABELS: Record<keyof typeof DRAIN_TARGETS, string> = {
  cpuVsMinimal: 'kzmeter CPU per reading / minimal ingester (mosquitto drain)',
  cpuVsNodeRed: 'kzmeter CPU per reading / Node-RED 4 batch flow (mosquitto drain)',
  influxdVsMinimal: 'influxd CPU per reading, kzmeter / minimal ingester',
  embeddedCpuVsReference: 'kzmeter embedded broker / aedes + minimal ingester (CPU per reading)',
  kzmeterPeakRssMb: 'kzmeter peak RSS, MB',
};

/** The lines `npm run bench ingest|drain` prints: one per consumer, one per ratio with its target. */
export function formatDrainSummary(
  consumers: Record<string, Summary | { skipped: string } | { failed: string }>,
  r: ReturnType<typeof drainRatios>,
  checks: { exactlyOnce: boolean; rollupsComplete: boolean }[],
): string[] {
  const out = ['drain, CPU per stored reading (min / median us), influxd per reading, readings/s, peak RSS:'];
  for (const [name, s] of Object.entries(consumers)) {
    if ('skipped' in s) out.push(`  ${name}: skipped: ${s.skipped}`);
    else if ('failed' in s) out.push(`  ${name}: FAILED: ${s.failed}`);
    else
      out.push(
        `  ${name}: ${s.usPerReading.min} / ${s.usPerReading.median} us; influxd ${s.influxdUsPerReading.min} / ` +
          `${s.influxdUsPerReading.median} us; ${Math.round(s.readingsPerS.median)}/s; ${s.peakRssMb} MB` +
          (s.idleStartMs === undefined ? '' : `; idle start-up ${s.idleStartMs} ms subtracted`) +
          (s.settleMs === undefined
            ? ''
            : ` (${s.settleMs} ms after the ready point until quiet; quiet within 10 s in ${s.quietRuns ?? 0} of ${s.runs})`),
      );
  }
  out.push('ratios (medians, same run) against issue 27 targets:');
  for (const k of Object.keys(DRAIN_TARGETS) as (keyof typeof DRAIN_TARGETS)[]) {
    const v = r.ratios[k];
    const cmp = k === 'kzmeterPeakRssMb' ? '<' : '<=';
    const verdict =
      r.met[k] === null
        ? 'no figure (a consumer did not run, or its CPU per reading came out <= 0: too few readings)'
        : r.met[k]
          ? 'met'
          : 'NOT met';
    out.push(`  ${LABELS[k]}: ${v ?? '-'} (target ${cmp} ${DRAIN_TARGETS[k]}): ${verdict}`);
  }
  const once = checks.filter((c) => c.exactlyOnce).length;
  const rolled = checks.filter((c) => c.rollupsComplete).length;
  out.push(
    `  kzmeter runs with every reading stored exactly once: ${once} of ${checks.length}; ` +
      `with rollups complete: ${rolled} of ${checks.length}`,
  );
  return out;
}
