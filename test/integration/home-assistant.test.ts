/** Optional Home Assistant MQTT discovery: off by default; on, a retained energy sensor per meter and its register. */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { useInflux } from '../helpers/influx.ts';
import { eventually } from '../helpers/eventually.ts';
import { ROUND_TRIP, roundTrip } from '../helpers/mqtt.ts';
import { startService } from '../helpers/service.ts';
import { DEVICES_YAML, registryWithDevices } from '../unit/ingest/device-registry.ts';

interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
}

async function watch(url: string): Promise<{ seen: Seen[]; client: mqtt.MqttClient }> {
  const seen: Seen[] = [];
  const client = await mqtt.connectAsync(url, { clientId: `ha-${Math.random().toString(16).slice(2, 8)}` });
  client.on('message', (topic, payload, packet) => {
    if (!topic.startsWith(ROUND_TRIP)) seen.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  await client.subscribeAsync(['homeassistant/#', 'kzmeter/#'], { qos: 1 });
  return { seen, client };
}

describe('Home Assistant discovery', () => {
  const influx = useInflux();

  it('is off by default: nothing is published', async () => {
    const svc = await startService(await influx.database());
    try {
      const w = await watch(svc.brokerUrl);
      // On, the configs are retained and would reach a new subscriber first: by a round trip after subscribing.
      await roundTrip(w.client);
      expect(w.seen).toEqual([]);
      await w.client.endAsync();
    } finally {
      await svc.cleanup();
    }
  });

  it('on: a retained energy sensor config per meter, and the register of a Tasmota-fed meter as its state', async () => {
    const registry = registryWithDevices(DEVICES_YAML);
    const svc = await startService(
      await influx.database(),
      { mqtt: { homeAssistantDiscovery: true, homeAssistantStateIntervalMs: 200 } },
      registry,
    );
    try {
      const w = await watch(svc.brokerUrl); // subscribing after start: the configs arrive as retained messages
      const configs = await eventually(
        async () => w.seen.filter((s) => s.topic.endsWith('/config')),
        (c) => c.length >= registry.meters.length,
      );
      expect(configs).toHaveLength(registry.meters.length);
      expect(configs.every((c) => c.retain)).toBe(true);
      const cfg = JSON.parse(
        configs.find((c) => c.topic === 'homeassistant/sensor/kzmeter_ekb-1-m05/energy/config')!.payload,
      );
      expect(cfg).toMatchObject({
        device_class: 'energy',
        state_class: 'total_increasing',
        unit_of_measurement: 'kWh',
        state_topic: 'kzmeter/meters/ekb-1-m05/state',
        unique_id: 'kzmeter_ekb-1-m05_energy',
      });
      const pub = await mqtt.connectAsync(svc.brokerUrl, { clientId: 'ha-tasmota' });
      await pub.publishAsync(
        'tele/tasmota_5C1A2B/SENSOR',
        JSON.stringify({ Time: '2025-07-01T10:00:00', ENERGY: { Total: 1234.567, Power: 2970 } }),
        { qos: 1 },
      );
      await pub.endAsync();
      const state = await eventually(
        async () => w.seen.filter((s) => s.topic === 'kzmeter/meters/ekb-1-m05/state'),
        (s) => s.length > 0,
      );
      expect(JSON.parse(state[state.length - 1]!.payload)).toMatchObject({ energy_kwh: 1234.567, power_kw: 2.97 });
      await w.client.endAsync();
    } finally {
      await svc.cleanup();
    }
  });
});
