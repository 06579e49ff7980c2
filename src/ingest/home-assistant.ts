/**
 * Optional Home Assistant MQTT discovery (mqtt.homeAssistantDiscovery, off by default): one energy sensor per
 * meter (device_class energy, state_class total_increasing, kWh) so Home Assistant's energy dashboard shows
 * the same meters. Configs are retained on <prefix>/sensor/kzmeter_<meter>/energy/config; the meter's register
 * (from the live view, whatever format it arrived in) on kzmeter/meters/<meter>/state at most every
 * `intervalMs`, its online/offline on kzmeter/meters/<meter>/availability.
 */
import type { Logger } from 'pino';
import type { LiveState } from '../live/live-state.ts';
import type { Meter, Registry } from '../registry/types.ts';

export type Publish = (topic: string, payload: string, retain: boolean) => Promise<void>;

export const haStateTopic = (meterId: string) => `kzmeter/meters/${meterId}/state`;
export const haAvailabilityTopic = (meterId: string) => `kzmeter/meters/${meterId}/availability`;

/** The retained discovery config of one meter's energy sensor. Pure. */
export function discoveryConfig(meter: Meter, prefix: string): { topic: string; payload: string } {
  const id = `kzmeter_${meter.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return {
    topic: `${prefix}/sensor/${id}/energy/config`,
    payload: JSON.stringify({
      name: 'Energy',
      unique_id: `${id}_energy`,
      state_topic: haStateTopic(meter.id),
      value_template: '{{ value_json.energy_kwh }}',
      unit_of_measurement: 'kWh',
      device_class: 'energy',
      state_class: 'total_increasing',
      availability_topic: haAvailabilityTopic(meter.id),
      payload_available: 'online',
      payload_not_available: 'offline',
      device: { identifiers: [id], name: `Meter ${meter.id}`, manufacturer: 'kzmeter', model: `site ${meter.siteId}` },
    }),
  };
}

export interface HomeAssistant {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createHomeAssistant(o: {
  registry: Registry;
  live: LiveState;
  publish: Publish;
  log: Logger;
  prefix: string;
  intervalMs?: number;
}): HomeAssistant {
  const dirty = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const known = new Set(o.registry.meters.map((m) => m.id));
  const sent = new Map<string, string>();
  async function flush(): Promise<void> {
    const ids = [...dirty];
    dirty.clear();
    for (const id of ids) {
      const s = o.live.get(id);
      if (!s) continue;
      if (s.lastRegisterWh !== undefined)
        await o.publish(
          haStateTopic(id),
          JSON.stringify({
            energy_kwh: s.lastRegisterWh / 1000,
            ...(s.lastKw !== undefined && { power_kw: s.lastKw }),
            ...(s.lastReadingTsMs !== undefined && { reading_at: new Date(s.lastReadingTsMs).toISOString() }),
          }),
          true,
        );
      if (s.status !== undefined && sent.get(id) !== s.status) {
        sent.set(id, s.status);
        await o.publish(haAvailabilityTopic(id), s.status, true);
      }
    }
  }
  return {
    async start() {
      for (const m of o.registry.meters) {
        const c = discoveryConfig(m, o.prefix);
        await o.publish(c.topic, c.payload, true);
        dirty.add(m.id);
      }
      unsubscribe = o.live.subscribe((id) => {
        if (known.has(id)) dirty.add(id);
      });
      timer = setInterval(() => {
        flush().catch((err: Error) => o.log.warn({ err: err.message }, 'Home Assistant state not published.'));
      }, o.intervalMs ?? 10_000);
      timer.unref();
      await flush();
      o.log.info({ meters: o.registry.meters.length, prefix: o.prefix }, 'Home Assistant discovery published.');
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
