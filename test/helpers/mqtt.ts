import mqtt, { type MqttClient } from 'mqtt';

/** A meter-like publisher: QoS 1, own client id, last will offline. */
export async function connectMeter(url: string, meterId: string, opts: { will?: boolean } = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: `test-${meterId}-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 0,
    ...(opts.will !== false && {
      will: { topic: `meters/${meterId}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    }),
  });
}

export async function publishAll(
  client: MqttClient,
  msgs: { topic: string; payload: string | Buffer }[],
): Promise<void> {
  await Promise.all(msgs.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 })));
}
