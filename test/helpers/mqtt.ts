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

/** The topic prefix of roundTrip()'s messages: a client that records what it receives leaves them out. */
export const ROUND_TRIP = 'test-round-trip';

/**
 * A round trip through the broker on the client's own connection: a QoS 1 message to a topic only this client
 * subscribes, back at the client. What the broker had for the client before it (retained messages of an earlier
 * subscription, messages it had accepted) has arrived by then: one connection delivers in order. Used to show
 * that something did NOT arrive, without a timed wait. The topic matches none of the project's (meters/#, ...).
 */
export async function roundTrip(client: MqttClient, timeoutMs = 10_000): Promise<void> {
  const topic = `${ROUND_TRIP}/${client.options.clientId ?? 'client'}/${Math.random().toString(36).slice(2)}`;
  const back = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`roundTrip: ${topic} not back in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (t: string) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve();
    };
    client.on('message', onMessage);
  });
  await client.subscribeAsync(topic, { qos: 1 });
  await client.publishAsync(topic, 'round trip', { qos: 1 });
  await back;
  await client.unsubscribeAsync(topic);
}
