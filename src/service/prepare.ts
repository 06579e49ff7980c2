/**
 * Phase 1 of a start: everything that can refuse to start, before the broker accepts a single message or the
 * HTTP port opens. The registry was validated by its loader; MQTT identities, TLS files, users, tariffs are
 * read here; InfluxDB (the local one, started here, or the configured one) must answer and hold the database.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { prepareHttpAuth, type HttpAuthSetup } from '../auth/http-setup.ts';
import type { MqttIdentity } from '../auth/mqtt-credentials.ts';
import { prepareMqttIdentities, type MqttIdentities } from '../auth/mqtt-setup.ts';
import { readMqttTls, type TlsMaterial } from '../auth/mqtt-tls.ts';
import type { Config } from '../config/schema.ts';
import { loadTariffs, type TariffSet } from '../fees/index.ts';
import type { Registry } from '../registry/types.ts';
import { influxTarget, type InfluxTarget } from '../store/influx-target.ts';
import { localInfluxCredentials } from '../store/local-influx-credentials.ts';
import { createLocalInflux } from '../store/local-influxd.ts';
import { ensureDatabase, waitForInflux } from '../store/setup.ts';
import { KzmError } from '../util/errors.ts';
import { component, type Component } from '../util/lifecycle.ts';
import { ensurePrivateDir } from '../util/private-dir.ts';
import { openStateStore } from '../state/open-state.ts';
import type { StateStore } from '../state/state-store.ts';

/** A start-up check refused: nothing listens yet, and the message says what to fix. */
export class ServiceStartError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'start-refused' });
  }
}

/** What phase 1 proved before any port opens. */
export interface Prepared {
  readonly target: InfluxTarget;
  readonly tariffs: TariffSet;
  /** The embedded broker's identities (undefined with an external broker). */
  readonly identities: MqttIdentities | undefined;
  readonly people: HttpAuthSetup;
  /** Users, sessions, period snapshots, the audit trail (files or PostgreSQL: issue 25). */
  readonly state: StateStore;
  readonly mqttTls: TlsMaterial | undefined;
}

/**
 * `started` is told of the local influxd as soon as it runs, so that a later refusal (or the service's stop)
 * stops it too.
 */
export async function prepare(
  config: Config,
  registry: Registry,
  log: Logger,
  started: (c: Component) => void,
  fixedIdentities: readonly MqttIdentity[],
): Promise<Prepared> {
  // Users, keys, snapshots, the audit trail and the local InfluxDB live here: the owner's only.
  if (ensurePrivateDir(config.dataDir) === 'tightened')
    log.warn({ dataDir: config.dataDir }, 'Data folder was open to other users; made 0700.');
  const identities = prepareMqttIdentities(config, registry, fixedIdentities, log.child({ component: 'broker' }));
  if (!identities.ok) throw new ServiceStartError(identities.reason);
  const mqttTls = config.mqtt.brokerUrl ? ({ ok: true, value: undefined } as const) : readMqttTls(config);
  if (!mqttTls.ok) throw new ServiceStartError(mqttTls.reason);
  const state = await openStateStore(config, log.child({ component: 'state' })).catch((err: unknown) => {
    // The database's error, its URL's password redacted (src/state/pg/pg-url.ts): a start refusal like the others.
    throw err instanceof KzmError ? new ServiceStartError(err.message) : err;
  });
  started(component('state', () => state.close(), 5_000));
  const people = await prepareHttpAuth(config, state, log.child({ component: 'http' }));
  if (!people.ok) throw new ServiceStartError(people.reason);
  const tariffs = await loadTariffs(config.tariffsDir);
  if (!tariffs.ok) {
    throw new ServiceStartError(
      tariffs.code === 'tariffs-missing'
        ? `The tariff directory ${config.tariffsDir} does not exist (${tariffs.reason}). Point KZM_TARIFFS_DIR (tariffsDir) at the folder of tariff schedules: the shipped ones are in tariffs/ of the kzmeter package.`
        : `Tariff schedules in ${config.tariffsDir} are invalid: ${tariffs.reason}. Fix the file or point KZM_TARIFFS_DIR at valid ones.`,
    );
  }
  let url = config.influx.url;
  let influxConfig = config.influx;
  if (!url) {
    // The local influxd runs with authentication on: its generated admin is the service's InfluxDB user.
    const admin = localInfluxCredentials(config.dataDir);
    const local = createLocalInflux({
      dataDir: join(config.dataDir, 'influxdb'),
      bin: config.influx.influxdPath,
      log: log.child({ component: 'influxd' }),
      admin,
    });
    started(component('influxd', () => local.stop(), 20_000));
    await local.start();
    url = local.url;
    influxConfig = { ...config.influx, username: admin.username, password: admin.password };
  }
  const target = influxTarget(influxConfig, url);
  await waitForInflux(target, 30_000, { log: log.child({ component: 'influx' }) });
  if (config.influx.createIfMissing) await ensureDatabase(target, log, config.influx.retentionDays);
  return {
    target,
    tariffs: tariffs.value,
    identities: identities.value,
    people: people.value,
    state,
    mqttTls: mqttTls.value,
  };
}
