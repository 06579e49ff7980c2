/** Publish a meter's readings over MQTT (QoS 1, batches of 200) into a running service and wait until stored. */
import { connectMeter, publishAll } from './mqtt.ts';
import type { Service } from '../../src/service.ts';
import { writerDrained } from './service.ts';

export async function publishReadings(svc: Service, meterId: string, readings: readonly object[]): Promise<void> {
  const client = await connectMeter(svc.brokerUrl, meterId, { will: false });
  const msgs = [];
  for (let i = 0; i < readings.length; i += 200)
    msgs.push({ topic: `meters/${meterId}/reading`, payload: JSON.stringify(readings.slice(i, i + 200)) });
  await publishAll(client, msgs);
  await client.endAsync();
  // Each reading is acknowledged once written; the writer drained is checked anyway.
  await writerDrained(svc);
}

export async function getJson<T>(svc: Service, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${svc.httpUrl}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}
