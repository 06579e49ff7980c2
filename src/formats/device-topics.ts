/** The brokers' view of the device formats: which topics a device may publish on, and as whose meters. */
import { deviceIndex } from './device-index.ts';
import { formatSpec } from './table.ts';
import type { Device, FormatRegistry } from './types.ts';

/** MQTT filters covering every topic of this one device (for Mosquitto's acl file): never another device's. */
export function deviceTopicFilters(d: Device): string[] {
  return formatSpec(d.format).aclFilters(d);
}

/** For the embedded broker's topic rights: the meters a device topic carries, and whether it is a status topic. */
export type DeviceTopics = (
  topic: string,
) => { readonly meters: readonly string[]; readonly status: boolean } | undefined;

export function deviceTopics(registry: FormatRegistry): DeviceTopics {
  return (topic) => {
    const found = deviceIndex(registry).route(topic);
    if (!found || !('route' in found)) return undefined;
    const { route } = found;
    return {
      meters: route.device.meters.map((m) => m.meterId),
      status: formatSpec(route.format).isStatus(route.part),
    };
  };
}
