import type { DeviceTopics } from '../auth/mqtt-acl.ts';
import { deviceIndex } from '../ingest/formats/device-index.ts';
import type { Registry } from '../registry/types.ts';

/** For the broker's topic rights: the meters a vendor-format device topic carries, and whether it is its will. */
export function deviceTopics(registry: Registry): DeviceTopics {
  return (topic) => {
    const found = deviceIndex(registry).route(topic);
    if (!found || !('route' in found)) return undefined;
    const { route } = found;
    return {
      meters: route.device.meters.map((m) => m.meterId),
      // as decode.ts classifies them: Tasmota's LWT, Shelly's online, a mapped gateway's status topic
      status: route.part === 'lwt' || route.part === 'online' || (route.format === 'mapped' && route.part === 'status'),
    };
  };
}
