import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Registry } from '../registry/types.ts';
import { isLoopbackHost } from './bind-check.ts';
import { join } from 'node:path';
import { loadClientIdBindings, type ClientIdBindings } from './mqtt-client-ids.ts';
import { createIdentityTable, credentialsFilePath, type IdentityTable, type MqttIdentity } from './mqtt-credentials.ts';

/** The embedded broker's identities and the client ids they hold (first use, kept in the data dir). */
export interface MqttIdentities {
  readonly table: IdentityTable;
  readonly bindings: ClientIdBindings;
}

type Result = { ok: true; value: MqttIdentities | undefined } | { ok: false; reason: string };

export function clientIdsFilePath(dataDir: string): string {
  return join(dataDir, 'mqtt-client-ids.json');
}

/**
 * Start-up check (phase 1) of the embedded broker's identities: the credentials file must be valid, and
 * anonymous access is refused on anything but a loopback address. Nothing to check with an external broker,
 * which enforces its own rules (`kzmeter broker-config`).
 */
export function prepareMqttIdentities(
  config: Config,
  registry: Registry,
  fixed: readonly MqttIdentity[],
  log: Logger,
): Result {
  if (config.mqtt.brokerUrl) return { ok: true, value: undefined };
  const file = credentialsFilePath(config.registryDir, config.mqtt.credentialsFile);
  if (config.mqtt.allowAnonymous) {
    if (!isLoopbackHost(config.mqtt.embeddedHost))
      return {
        ok: false,
        reason: `mqtt.allowAnonymous is set and the embedded broker binds to ${config.mqtt.embeddedHost}, which is not loopback: anyone who reaches it could publish any meter's readings. Unset KZM_MQTT_ALLOW_ANONYMOUS (issue identities with "kzmeter credentials issue") or bind KZM_MQTT_EMBEDDED_HOST to 127.0.0.1.`,
      };
    log.warn(
      { host: config.mqtt.embeddedHost },
      'MQTT anonymous access is on (mqtt.allowAnonymous): any local client may publish for any meter. For labs only.',
    );
  }
  let table: IdentityTable;
  try {
    table = createIdentityTable({
      file,
      meterIds: registry.meters.map((m) => m.id),
      fixed,
      serviceClientIds: [config.mqtt.clientId],
      onError: (err) => log.error({ err: err.message }, 'Credentials file is invalid; the previous identities stay.'),
    });
  } catch (err) {
    return { ok: false, reason: `${(err as Error).message}. Fix the file or issue credentials again.` };
  }
  let bindings: ClientIdBindings;
  try {
    bindings = loadClientIdBindings({
      file: clientIdsFilePath(config.dataDir),
      onWriteError: (err) => log.error({ err: err.message }, 'MQTT client id bindings could not be saved.'),
    });
  } catch (err) {
    return {
      ok: false,
      reason: `${(err as Error).message}. It records which identity owns each MQTT client id: restore it from a backup, or remove it to let ids be claimed again at their next use.`,
    };
  }
  const exposed = !isLoopbackHost(config.mqtt.embeddedHost);
  if (exposed && !config.mqtt.allowAnonymous && table.size() === 0)
    return {
      ok: false,
      reason: `The embedded broker binds to ${config.mqtt.embeddedHost} (not loopback) and ${file} holds no identities: no meter could connect. Issue them first: "kzmeter credentials issue <meter-id>".`,
    };
  if (exposed && config.mqtt.plainTcp)
    log.warn(
      { host: config.mqtt.embeddedHost },
      'The embedded broker accepts plain TCP off loopback: secrets cross the network in clear. Set mqtt.tls and KZM_MQTT_PLAIN_TCP=false.',
    );
  if (!config.mqtt.allowAnonymous && table.size() === 0)
    log.warn(
      { file },
      'No MQTT identities: every client will be refused. Run "kzmeter credentials issue <meter-id>" (see README, Security).',
    );
  return { ok: true, value: { table, bindings } };
}
