import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { loadRegistry } from '../registry/load.ts';
import { createService } from '../service.ts';
import { createLogger } from '../util/logger.ts';

export const SERVE_HELP = `kzmeter serve [--config file.yaml] [--simulate [--scenario file] [--clock real|xN]]
  Runs the service: embedded MQTT broker (unless KZM_MQTT_BROKER_URL is set), ingest into InfluxDB
  (a local influxd is started when KZM_INFLUX_URL is not set), HTTP API and /metrics.
  --json       JSON log lines even on a terminal
  --simulate   also run the simulator against the service's broker (demo mode)`;

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
  const service = createService(config, registry, log);
  const abort = new AbortController();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Stopping.');
    abort.abort();
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
  log.info(
    {
      dashboard: `${service.httpUrl}/`,
      meters: `${service.httpUrl}/api/meters`,
      health: `${service.httpUrl}/health`,
      metrics: `${service.httpUrl}/metrics`,
    },
    'Open these in a browser or with curl.',
  );
  if (values.simulate) {
    const { runSimulation } = await import('../../simulator/index.ts');
    const clock = values.clock?.startsWith('x') ? { speed: Number(values.clock.slice(1)) } : 'real';
    void runSimulation({
      ...(values.scenario && { scenario: values.scenario }),
      registryDir: config.registryDir,
      brokerUrl: service.brokerUrl,
      clock: clock as 'real',
      log: log.child({ component: 'simulator' }),
      signal: abort.signal,
    }).catch((err: Error) => log.error({ err: err.message }, 'Simulator stopped with an error.'));
  }
  await new Promise(() => {});
  return 0;
}
