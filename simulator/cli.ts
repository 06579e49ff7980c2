/** `simulate` subcommand: argument parsing, progress bar on stderr, summary at the end. */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parseClock, type ClockSpec } from './clock.ts';
import { renderProgress } from './progress.ts';
import { runSimulation, type SimulationOptions, type SimulationSummary } from './runner.ts';

export const SIMULATE_HELP = `Usage: kzmeter simulate [options]
       kzmeter simulate statement --truth FILE [--aux-share 0.08] [--period P] [--out FILE]   (the supplier's
                                  statement of a run: see kzmeter simulate statement --help)

  --scenario <file>     scenario YAML/JSON (simulator/scenarios/*.yaml); default: live calm, all meters, from now
  --clock <c>           real | xN (e.g. x60) | backfill          (default: real; backfill for --meters)
  --broker <url>        MQTT broker                              (default: mqtt://127.0.0.1:1883 or KZM_MQTT_BROKER_URL)
  --username/--password broker credentials                       (or KZM_MQTT_USERNAME / KZM_MQTT_PASSWORD)
  --seed <n>            override the scenario's seed
  --out <dir>           where ground-truth.json and summary.json go (default: runs/<scenario>-<seed>-<time>)
  --registry <dir>      registry folder (default: devices)
  --tariffs <dir>       tariff schedules for the expected ledger (default: tariffs)
  --meters <N>          load generator: N synthetic meters instead of the registry (writes <out>/registry)
  --rate <msgs/s>       cap the message rate (load generation)
  --duration-h <h>      load generator: simulated hours (default 1)
  --connections <N>     gateway-style pool of N MQTT connections (default: one per meter up to 500 meters, else 50; 0 = one per meter)
  --max-inflight <n>    unacknowledged QoS 1 publishes allowed at once (default 1000)
  --no-truth            skip ground truth (long load runs)
  --quiet               no progress bar`;

export interface SimulateArgs {
  help: boolean;
  quiet: boolean;
  options: Omit<SimulationOptions, 'log' | 'signal' | 'onProgress'>;
}

export class SimulateArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulateArgsError';
  }
}

function num(name: string, v: string | undefined, int = true, min = 1e-9): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (int && !Number.isInteger(n)))
    throw new SimulateArgsError(`--${name} must be a positive ${int ? 'integer' : 'number'}, got "${v}"`);
  return n;
}

export function parseSimulateArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SimulateArgs {
  const { values: v } = parseArgs({
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      scenario: { type: 'string' },
      clock: { type: 'string' },
      broker: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      registry: { type: 'string' },
      tariffs: { type: 'string' },
      meters: { type: 'string' },
      rate: { type: 'string' },
      'duration-h': { type: 'string' },
      connections: { type: 'string' },
      'max-inflight': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'no-truth': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const meters = num('meters', v.meters);
  let clock: ClockSpec = meters !== undefined ? 'backfill' : 'real';
  if (v.clock !== undefined) {
    const c = parseClock(v.clock);
    if (!c) throw new SimulateArgsError(`--clock must be real, backfill or xN (e.g. x60), got "${v.clock}"`);
    clock = c;
  }
  let seed: number | undefined;
  if (v.seed !== undefined) {
    seed = Number(v.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new SimulateArgsError(`--seed must be an integer 0..4294967295, got "${v.seed}"`);
  }
  const durationH = num('duration-h', v['duration-h'], false);
  if (durationH !== undefined && meters === undefined)
    throw new SimulateArgsError(
      '--duration-h applies to the load generator (--meters); a scenario file sets its own range',
    );
  const username = v.username ?? env.KZM_MQTT_USERNAME;
  const password = v.password ?? env.KZM_MQTT_PASSWORD;
  const ratePerS = num('rate', v.rate, false);
  const connections = num('connections', v.connections, true, 0);
  const maxInflight = num('max-inflight', v['max-inflight']);
  const options: SimulateArgs['options'] = {
    brokerUrl: v.broker ?? env.KZM_MQTT_BROKER_URL ?? 'mqtt://127.0.0.1:1883',
    clock,
    ...(v.scenario !== undefined && { scenario: v.scenario }),
    ...(seed !== undefined && { seed }),
    ...(v.out !== undefined && { outDir: v.out }),
    ...(v.registry !== undefined && { registryDir: v.registry }),
    ...(v.tariffs !== undefined && { tariffsDir: v.tariffs }),
    ...(meters !== undefined && { meters }),
    ...(durationH !== undefined && { durationH }),
    ...(ratePerS !== undefined && { ratePerS }),
    ...(connections !== undefined && { connections }),
    ...(maxInflight !== undefined && { maxInflight }),
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(v['no-truth'] && { groundTruth: false }),
  };
  return { help: v.help, quiet: v.quiet, options };
}

export function formatSummary(s: SimulationSummary): string {
  const kinds = Object.entries(s.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const failures =
    Object.entries(s.failuresByKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  return [
    `Simulation ${s.aborted ? 'stopped' : 'finished'}: scenario ${s.scenario} (seed ${s.seed}), clock ${s.clock}, ${s.meters} meters over ${s.connections} connection(s)`,
    `  range:        ${s.from} .. ${s.to ?? '(open)'}`,
    `  messages:     ${s.messagesSent} sent in ${(s.durationMs / 1000).toFixed(1)} s (${s.ratePerS} msg/s); ${kinds}`,
    `  failures:     ${s.failuresInjected} injected (${failures}); ${s.publishFailures} publishes failed`,
    `  ground truth: ${s.groundTruthPath ?? '(not written)'}`,
    ...(s.registryDir ? [`  registry:     ${s.registryDir} (start the service with it to ingest these meters)`] : []),
  ].join('\n');
}

export async function simulateMain(argv: string[]): Promise<number> {
  // The supplier's statement of a finished run (issue 24): no broker, no run.
  if (argv[0] === 'statement') return (await import('./statement.ts')).statementMain(argv.slice(1));
  let args: SimulateArgs;
  try {
    args = parseSimulateArgs(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${SIMULATE_HELP}`);
    return 2;
  }
  if (args.help) {
    console.log(SIMULATE_HELP);
    return 0;
  }
  const log = pino({ level: process.env.KZM_LOG_LEVEL ?? 'info' }, pino.destination(2));
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stderr.isTTY ?? false;
  const showBar = !args.quiet && args.options.clock !== 'real';
  let lastLine = 0;
  try {
    const summary = await runSimulation({
      ...args.options,
      log,
      signal: abort.signal,
      ...(showBar && {
        onProgress: (p) => {
          const now = Date.now();
          if (tty) process.stderr.write(`\r${renderProgress(p)}\x1b[K`);
          else if (now - lastLine > 5000 || p.fraction === 1) {
            lastLine = now;
            process.stderr.write(`${renderProgress(p)}\n`);
          }
        },
      }),
    });
    if (showBar && tty) process.stderr.write('\n');
    console.error(formatSummary(summary));
    return summary.publishFailures > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
