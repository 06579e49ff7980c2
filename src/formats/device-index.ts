/**
 * Which device and format a topic belongs to, built once per registry from devices.yaml by each format's
 * `index` (src/formats/table.ts): exact topics, per-device prefixes, matchers (mapped gateways' patterns).
 * Also the subscription filters an external broker needs to deliver them.
 */
import { FORMATS, formatSpec } from './table.ts';
import type { FormatRegistry, IndexTables, Route, RouteResult } from './types.ts';

export interface DeviceIndex {
  route(topic: string): RouteResult;
  /** MQTT filters covering every device topic (without meters/#). */
  readonly filters: readonly string[];
}

const shapes = Object.values(FORMATS)
  .map((f) => f.unknownShape)
  .filter((r): r is RegExp => r !== undefined);

function build(registry: FormatRegistry): DeviceIndex {
  const t: IndexTables = { exact: new Map(), bases: new Map(), matchers: new Map(), filters: new Set() };
  for (const d of registry.devices ?? []) formatSpec(d.format).index(d, t);
  const matchers = [...t.matchers.values()];

  function routeBase(topic: string): Route | undefined {
    for (let k = topic.indexOf('/'); k !== -1; k = topic.indexOf('/', k + 1)) {
      const d = t.bases.get(topic.slice(0, k + 1));
      if (d) return formatSpec(d.format).routeUnder?.(d, topic.slice(k + 1));
    }
    return undefined;
  }

  return {
    filters: [...t.filters],
    route(topic) {
      const hit = t.exact.get(topic) ?? routeBase(topic);
      if (hit) return { route: hit };
      for (const m of matchers) {
        const found = m.match(topic);
        if (found) return found;
      }
      if (shapes.some((re) => re.test(topic)))
        return { unknownDevice: `no device in devices.yaml publishes on "${topic.slice(0, 200)}"` };
      return undefined;
    },
  };
}

const cache = new WeakMap<FormatRegistry, DeviceIndex>();

/** The index of a registry (built on first use, then cached). */
export function deviceIndex(registry: FormatRegistry): DeviceIndex {
  let idx = cache.get(registry);
  if (!idx) cache.set(registry, (idx = build(registry)));
  return idx;
}

/** Topic filters for an external broker: our own topics plus every registered device's. */
export function ingestFilters(registry: FormatRegistry): string[] {
  return ['meters/#', ...deviceIndex(registry).filters];
}
