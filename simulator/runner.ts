/**
 * runSimulation: the imperative shell. Loads scenario and registry, builds
 * the plan, pulls the pure message stream, paces it by the clock, publishes
 * it and writes the ground truth next to the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { loadRegistry } from '../src/registry/load.ts';
import { loadTariffs } from '../src/fees/tariff-load.ts';
import type { TariffSet } from '../src/fees/tariff.ts';
import { loadScenarioFile } from './scenario-load.ts';
import type { Scenario } from './scenario-schema.ts';
import { liveCalmScenario, loadScenario } from './default-scenario.ts';
import { simMetersFromRegistry, syntheticMeters } from './sim-meters.ts';
import { buildPlan } from './plan.ts';
import type { SimPlan } from './plan-types.ts';
import { generateStream } from './stream.ts';
import { createTruthCollector } from './truth/collector.ts';
import { buildGroundTruth } from './truth/ground-truth.ts';
import { createPublisher } from './publisher.ts';
import { createPacer, clockLabel, type ClockSpec } from './clock.ts';
import { computeProgress, type Progress } from './progress.ts';
import { writeLoadRegistry } from './load-registry.ts';
import { stringify } from 'yaml';
import { encoderFor, simDevices } from './formats.ts';
import type { SimMessage } from './message.ts';

export interface SimulationOptions {
  /** A scenario, or the path of a scenario file; default: live calm over the whole registry. */
  scenario?: Scenario | string;
  registryDir?: string;
  tariffsDir?: string;
  brokerUrl: string;
  clock: ClockSpec;
  seed?: number;
  /** Where ground-truth.json goes; default runs/<scenario>-<seed>-<time>. */
  outDir?: string;
  log?: Logger;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  username?: string;
  password?: string;
  /** Load generation: this many synthetic meters instead of the registry (writes <outDir>/registry). */
  meters?: number;
  /** Load generation without a scenario: simulated hours from 2025-01-01 (default 1). */
  durationH?: number;
  /** Cap on messages per second (load generation). */
  ratePerS?: number;
  /** Gateway-style connection pool; default one client per meter (pool of 50 above 500 meters); 0 forces one per meter. */
  connections?: number;
  maxInflight?: number;
  /** Collect and write ground truth (default true). */
  groundTruth?: boolean;
  /** Reshapes the message stream before pacing (the demo batches past readings: demo.ts). */
  transform?: (stream: Iterable<SimMessage>) => Iterable<SimMessage>;
  /** Resume on what an earlier run stored: per meter, its newest stored reading (see SimPlan.resumeAfterMs). */
  resumeAfterMs?: ReadonlyMap<string, number>;
  /**
   * The ground truth up to `atMs`, handed over once the stream reaches it (the demo's supplier statement for the
   * months that ended: issue 24). Collected as the stream runs, so it costs no second pass over the physics.
   */
  truthAt?: { atMs: number; onTruth: (truth: Record<string, unknown>) => void };
}

export interface SimulationSummary {
  scenario: string;
  seed: number;
  clock: string;
  meters: number;
  connections: number;
  from: string;
  to: string | null;
  messagesSent: number;
  byKind: Record<string, number>;
  failuresInjected: number;
  failuresByKind: Record<string, number>;
  publishFailures: number;
  aborted: boolean;
  durationMs: number;
  ratePerS: number;
  groundTruthPath: string | null;
  registryDir: string | null;
}

function resolveScenario(s: SimulationOptions['scenario']): Scenario {
  if (s === undefined) return liveCalmScenario();
  return typeof s === 'string' ? loadScenarioFile(s) : s;
}

async function tariffsFor(dir: string, log: Logger): Promise<{ set: TariffSet | undefined; note: string }> {
  const r = await loadTariffs(dir).catch((err: Error) => ({ ok: false as const, reason: err.message }));
  if (r.ok) return { set: r.value, note: resolve(dir) };
  log.warn({ dir, reason: r.reason }, 'Tariffs not loaded; ground truth has energy but no fees.');
  return { set: undefined, note: `not loaded: ${r.reason}` };
}

const countBy = <T>(items: Iterable<T>, key: (t: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
};

export function planFor(
  opts: Pick<SimulationOptions, 'scenario' | 'registryDir' | 'seed' | 'meters' | 'durationH'>,
  nowMs: number,
): SimPlan {
  if (opts.meters !== undefined) {
    const scenario =
      typeof opts.scenario === 'string' || opts.scenario
        ? resolveScenario(opts.scenario)
        : loadScenario(opts.durationH ?? 1, 60);
    return buildPlan(scenario, syntheticMeters(opts.meters, scenario.reportingIntervalS ?? 60), nowMs, opts.seed);
  }
  const scenario = resolveScenario(opts.scenario);
  const registry = loadRegistry(opts.registryDir ?? 'devices');
  return buildPlan(scenario, simMetersFromRegistry(registry, scenario), nowMs, opts.seed);
}

export async function runSimulation(opts: SimulationOptions): Promise<SimulationSummary> {
  const log = opts.log ?? pino({ level: 'silent' });
  const t0 = Date.now();
  const planned = planFor(opts, t0);
  const plan = opts.resumeAfterMs ? { ...planned, resumeAfterMs: opts.resumeAfterMs } : planned;
  const outDir =
    opts.outDir ?? join('runs', `${plan.name}-${plan.seed}-${new Date(t0).toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(outDir, { recursive: true });
  const registryDir = opts.meters !== undefined ? writeLoadRegistry(join(outDir, 'registry'), plan.meters) : null;
  const withTruth = opts.groundTruth ?? true;
  const collect = withTruth || opts.truthAt !== undefined;
  let truthAtDone = false;
  const collector = createTruthCollector(new Map(plan.meters.map((m) => [m.id, m.timeZone])));
  // 0 = one client per meter whatever the count.
  const connections =
    opts.connections === 0 ? undefined : (opts.connections ?? (plan.meters.length > 500 ? 50 : undefined));
  const encoders = new Map(
    plan.meters.map((m) => [m.id, encoderFor(plan.formats?.[m.id] ?? 'native', m.id, m.timeZone)]),
  );
  if (plan.formats) writeFileSync(join(outDir, 'devices.yaml'), stringify(simDevices(plan.formats)));
  const publisher = createPublisher({
    brokerUrl: opts.brokerUrl,
    meterIds: plan.meters.map((m) => m.id),
    willOf: (id) => encoders.get(id)!.will,
    offlineOf: (id) => encoders.get(id)!.status('offline', Date.now()),
    log,
    ...(connections !== undefined && { connections }),
    ...(opts.maxInflight !== undefined && { maxInflight: opts.maxInflight }),
    ...(opts.username !== undefined && { username: opts.username }),
    ...(opts.password !== undefined && { password: opts.password }),
  });
  log.info(
    {
      scenario: plan.name,
      seed: plan.seed,
      meters: plan.meters.length,
      failures: plan.failures.length,
      clock: clockLabel(opts.clock),
      from: new Date(plan.startMs).toISOString(),
      to: plan.endMs === undefined ? 'open' : new Date(plan.endMs).toISOString(),
    },
    'Simulation starting.',
  );
  await publisher.start();
  const pacer = createPacer(opts.clock, plan.startMs, {
    ...(opts.ratePerS !== undefined && { ratePerS: opts.ratePerS }),
  });
  const byKind: Record<string, number> = {};
  let sent = 0;
  let lastAtMs = plan.startMs;
  let lastReport = 0;
  let aborted = false;
  const tStream = Date.now();
  try {
    const stream = generateStream(plan, collect ? collector : undefined);
    for (const msg of opts.transform ? opts.transform(stream) : stream) {
      if (msg.type === 'idle') {
        // The generator ran a day of a meter's physics without sending: let the event loop run (serve --simulate).
        await new Promise((r) => setImmediate(r));
        if (opts.signal?.aborted) {
          aborted = true;
          break;
        }
        continue;
      }
      if (opts.truthAt && !truthAtDone && msg.atMs >= opts.truthAt.atMs) {
        truthAtDone = true;
        const at = opts.truthAt.atMs;
        opts.truthAt.onTruth(
          buildGroundTruth({
            plan,
            collector,
            coveredToMs: at,
            tariffs: undefined,
            tariffNote: 'none',
            willsInHistory: false,
            clock: clockLabel(opts.clock),
          }) as unknown as Record<string, unknown>,
        );
      }
      if (!(await pacer.wait(msg.atMs, opts.signal))) {
        aborted = true;
        break;
      }
      await publisher.send(msg);
      if (collect) collector.onSent(msg);
      const k = msg.type === 'publish' ? msg.kind : msg.type;
      byKind[k] = (byKind[k] ?? 0) + 1;
      if (msg.type === 'publish') sent++;
      lastAtMs = msg.atMs;
      const now = Date.now();
      if (opts.onProgress && now - lastReport >= 250) {
        lastReport = now;
        opts.onProgress(computeProgress(sent, lastAtMs, plan.startMs, plan.endMs, now - tStream));
      }
    }
    await publisher.drain();
  } finally {
    await publisher.stop({ announceOffline: opts.clock !== 'backfill' });
  }
  const durationMs = Date.now() - tStream;
  opts.onProgress?.(
    computeProgress(sent, aborted ? lastAtMs : (plan.endMs ?? lastAtMs), plan.startMs, plan.endMs, durationMs),
  );

  let groundTruthPath: string | null = null;
  if (withTruth) {
    const tariffs = await tariffsFor(opts.tariffsDir ?? 'tariffs', log);
    const truth = buildGroundTruth({
      plan,
      collector,
      coveredToMs: aborted || plan.endMs === undefined ? lastAtMs : plan.endMs,
      tariffs: tariffs.set,
      tariffNote: tariffs.note,
      willsInHistory: opts.clock === 'real',
      clock: clockLabel(opts.clock),
    });
    groundTruthPath = join(outDir, 'ground-truth.json');
    writeFileSync(groundTruthPath, `${JSON.stringify(truth, null, 1)}\n`);
  }
  const summary: SimulationSummary = {
    scenario: plan.name,
    seed: plan.seed,
    clock: clockLabel(opts.clock),
    meters: plan.meters.length,
    connections: connections ?? plan.meters.length,
    from: new Date(plan.startMs).toISOString(),
    to: plan.endMs === undefined ? null : new Date(plan.endMs).toISOString(),
    messagesSent: sent,
    byKind,
    failuresInjected: plan.failures.filter((f) => f.fromMs <= lastAtMs).length,
    failuresByKind: countBy(
      plan.failures.filter((f) => f.fromMs <= lastAtMs),
      (f) => f.kind,
    ),
    publishFailures: publisher.stats.failed,
    aborted,
    durationMs,
    ratePerS: durationMs > 0 ? Math.round((sent * 1000) / durationMs) : sent,
    groundTruthPath,
    registryDir,
  };
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
  log.info(summary, 'Simulation finished.');
  return summary;
}
