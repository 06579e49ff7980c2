/** The MQTT topics a registered vendor-format device publishes under (devices.yaml), derived from the registry. */
import type { Device } from './types.ts';

/** A Tasmota topic: its FullTopic with %prefix% and %topic% filled in, then the leaf. */
export function tasmotaTopic(device: Device, prefix: string, leaf: string): string {
  const full = (device.fullTopic ?? '%prefix%/%topic%/')
    .replaceAll('%prefix%', prefix)
    .replaceAll('%topic%', device.topic);
  return `${full.endsWith('/') ? full : `${full}/`}${leaf}`;
}

/** MQTT filters covering every topic of this one device (for a broker's ACL): never another device's. */
export function deviceTopicFilters(d: Device): string[] {
  if (d.format === 'tasmota') return [tasmotaTopic(d, '+', '#')];
  if (d.format === 'shelly-gen2') return [`${d.topic}/#`];
  const m = d.mapping;
  if (!m) return [];
  return [m.topic, m.status?.topic]
    .filter((t): t is string => t !== undefined)
    .map((t) => t.replaceAll('{device}', d.topic).replaceAll('{channel}', '+'));
}
