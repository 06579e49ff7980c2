import { parseArgs } from 'node:util';
import { endedDemoMonths, importDemoStatement } from './demo-statement.ts';
import { loadConfig } from '../config/load.ts';
import { simulatorIdentity } from '../auth/simulator-identity.ts';
import { loadRegistry } from '../registry/load.ts';
import { createService } from '../service.ts';
import { createLogger } from '../util/logger.ts';
import { terminalStatus } from '../util/status-line.ts';
import { removeLocalInflux, writeLocalInflux } from './local-influx.ts';
import { provideDemoStatus } from '../http/dashboard/demo-status.ts';
import { createDemoStatus, demoProgressReporter, demoResumePoints, type DemoStatusStore } from './serve-demo.ts';

export const SERVE_HELP = `Usage: kzmeter serve [--config file.yaml] [--json] [--simulate [--scenario file] [--clock real|xN]]
  Runs the service: embedded MQTT broker (unless KZM_MQTT_BROKER_URL is set), ingest into InfluxDB
  (a local influxd is started when KZM_INFLUX_URL is not set; its address goes to <dataDir>/local-influx.json,
  where the other commands find it), HTTP API (/docs, /openapi.json), /metrics and the web dashboard.
  --config F   settings file (YAML); KZM_* environment variables override it
  --json       JSON log lines even on a terminal (pretty lines need the dev dependency pino-pretty)
  --simulate   also run the simulator against the service's broker (demo mode): without --scenario,
               every registry meter from the start of the running quarter, published as fast as the
               service takes it (progress bar; banner on the dashboard), then live in real time
  --scenario F with --simulate: a simulator scenario file (simulator/scenarios/*.yaml)
  --clock C    with --simulate and --scenario: real (default) or xN (N times faster)
  --help       this text
Example: kzmeter serve --simulate          (npm start)`;

export async function serveMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      simulate: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      clock: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  const config = loadConfig(values.config ? { file: values.config } : {});
  const log = createLogger(config.logLevel, { pretty: !values.json && (process.stdout.isTTY ?? false) });
  const registry = loadRegistry(config.registryDir);
  log.info(
    {
      registry: config.registryDir,
      version: registry.version,
      sites: registry.sites.length,
      meters: registry.meters.length,
    },
    'Registry loaded.',
  );
  // The demo: the quarter so far, then live (simulator/demo.ts). Its state is served to the dashboard.
  const demoNowMs = Date.now();
  const demo = values.simulate && !values.scenario ? await demoPlan(demoNowMs, registry.sites[0]?.timeZone) : undefined;
  // serve --simulate: the in-process simulator gets a gateway identity for every meter, kept in memory only.
  const sim = values.simulate && !config.mqtt.brokerUrl ? await simulatorIdentity(registry) : undefined;
  const service = createService(config, registry, log, {
    ...(demo && { plugins: [provideDemoStatus(demo.status.get)] }),
    ...(sim && { mqttIdentities: [sim.identity] }),
  });
  const abort = new AbortController();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Stopping.');
    abort.abort();
    if (!config.influx.url) removeLocalInflux(config.dataDir);
    await service.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  try {
    await service.start();
  } catch (err) {
    await service.stop();
    throw err;
  }
  // The InfluxDB started here has a random port: tell `kzmeter ledger` & co. where it is.
  if (!config.influx.url)
    writeLocalInflux(config.dataDir, { url: service.influx.url, database: service.influx.database, pid: process.pid });
  // On the terminal (stderr), never on stdout: that is the JSON log, which log collectors keep (issue 21).
  if (service.adminToken)
    process.stderr.write(
      `\n  First start: user "admin" was created. Its API token, shown only now (only a hash is kept):\n\n    ${service.adminToken}\n\n  Log in to ${service.httpUrl}/login as admin with it, or send "Authorization: Bearer <token>".\n  More users: npm run cli -- users add <name> --role viewer|operator|accountant|admin [--taxpayer BIN]\n\n`,
    );
  log.info(
    {
      dashboard: `${service.httpUrl}/`,
      meters: `${service.httpUrl}/api/meters`,
      health: `${service.httpUrl}/health`,
      metrics: `${service.httpUrl}/metrics`,
    },
    'Open these in a browser or with curl.',
  );
  if (demo) {
    const { runSimulation } = await import('../../simulator/index.ts');
    const demoLog = log.child({ component: 'demo' });
    const meterIds = registry.meters.map((m) => m.id);
    const resumeAfterMs = await demoResumePoints(service.influx, meterIds, demo.fromMs, demoLog);
    if (resumeAfterMs.size) demo.status.resumed(Math.min(...resumeAfterMs.values()));
    const report = demoProgressReporter(demoLog, process.stderr.isTTY ?? false, terminalStatus);
    const t0 = Date.now();
    const ended = endedDemoMonths(demo.fromMs, demoNowMs, registry.sites[0]?.timeZone ?? 'Asia/Almaty');
    void runSimulation({
      scenario: demo.scenario,
      registryDir: config.registryDir,
      brokerUrl: service.brokerUrl,
      ...(sim && { username: sim.identity.id, password: sim.secret }),
      clock: 'catch-up',
      resumeAfterMs,
      transform: (stream) =>
        demo.batch(stream, demoNowMs, {
          // Coarse history: every 2nd past reading (default grace 3 intervals), still metered by the ledger.
          keepEvery: Math.max(1, config.fees.graceIntervals - 1),
          // Everything of the past is handed to the publisher: done once it is stored and rolled up,
          // so the overview is complete when the banner says so.
          onLive: () =>
            void settled(service).then(() => {
              demo.status.live((Date.now() - t0) / 1000);
              report(demo.status.get(), true);
            }),
        }),
      groundTruth: false,
      // The supplier's statement of the months that ended, from the truth the run collects (issue 24).
      ...(ended.months.length && {
        truthAt: {
          atMs: ended.untilMs,
          onTruth: (truth) =>
            void importDemoStatement({
              config,
              registry,
              truth,
              months: ended.months,
              writeLines: (lines) => service.writer.write(lines),
              log: demoLog,
            }).catch((err: Error) =>
              demoLog.warn({ err: err.message }, "Demo: the supplier's statement not imported."),
            ),
        },
      }),
      log: log.child({ component: 'simulator' }),
      signal: abort.signal,
      onProgress: (p) => {
        demo.status.update(p);
        report(demo.status.get(), false);
      },
    })
      .catch((err: Error) => log.error({ err: err.message }, 'Simulator stopped with an error.'))
      .finally(() => demo.status.stopped());
  } else if (values.simulate) {
    const { runSimulation } = await import('../../simulator/index.ts');
    const clock = values.clock?.startsWith('x') ? { speed: Number(values.clock.slice(1)) } : 'real';
    void runSimulation({
      ...(values.scenario && { scenario: values.scenario }),
      registryDir: config.registryDir,
      brokerUrl: service.brokerUrl,
      ...(sim && { username: sim.identity.id, password: sim.secret }),
      clock: clock as 'real',
      log: log.child({ component: 'simulator' }),
      signal: abort.signal,
    }).catch((err: Error) => log.error({ err: err.message }, 'Simulator stopped with an error.'));
  }
  await new Promise(() => {});
  return 0;
}

async function demoPlan(
  nowMs: number,
  timeZone = 'Asia/Almaty',
): Promise<{
  scenario: import('../../simulator/index.ts').Scenario;
  fromMs: number;
  status: DemoStatusStore;
  batch: typeof import('../../simulator/demo.ts').batchPastReadings;
}> {
  const { demoScenario, batchPastReadings } = await import('../../simulator/demo.ts');
  const { zonedMidnightMs, parseLocalDate } = await import('../fees/zoned-time.ts');
  const scenario = demoScenario(nowMs, timeZone);
  const fromMs = zonedMidnightMs(parseLocalDate(scenario.start)!, timeZone);
  return { scenario, fromMs, status: createDemoStatus(fromMs, nowMs, scenario.start), batch: batchPastReadings };
}

/** Resolves when the writer has been idle for a second (what was in flight is stored) and the rollups hold it. */
async function settled(service: {
  writer: { state(): { pendingLines: number } };
  rollups: { flush(ms?: number): Promise<boolean> };
}): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let idleMs = 0, i = 0; idleMs < 1000 && i < 3000; i++) {
    await sleep(100);
    idleMs = service.writer.state().pendingLines === 0 ? idleMs + 100 : 0;
  }
  await service.rollups.flush(600_000);
}
