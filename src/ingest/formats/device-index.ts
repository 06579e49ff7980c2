/**
 * Which device and format a topic belongs to, built once per registry from devices.yaml: exact topics
 * (Tasmota SENSOR/LWT, Shelly online/events) and per-device bases in maps, mapped gateways by pattern.
 * Also the subscription filters an external broker needs to deliver them.
 */
import type { Device, Registry } from '../../registry/types.ts';
import type { MappingInput } from '../../registry/device-schema.ts';
import { tasmotaTopic } from '../../registry/device-topics.ts';

export type Route =
  | { readonly format: 'tasmota'; readonly device: Device; readonly part: 'sensor' | 'lwt' | 'other' }
  | {
      readonly format: 'shelly-gen2';
      readonly device: Device;
      readonly part: 'online' | 'status' | 'rpc' | 'other';
      readonly component?: string;
    }
  | {
      readonly format: 'mapped';
      readonly device: Device;
      readonly part: 'reading' | 'status';
      readonly channel?: string;
    };

export type RouteResult = { readonly route: Route } | { readonly unknownDevice: string } | undefined;

export interface DeviceIndex {
  route(topic: string): RouteResult;
  /** MQTT filters covering every device topic (without meters/#). */
  readonly filters: readonly string[];
}

interface Pattern {
  readonly re: RegExp;
  readonly mapping: MappingInput;
  readonly part: 'reading' | 'status';
  readonly hasChannel: boolean;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(pattern: string): { re: RegExp; hasChannel: boolean } {
  const names: string[] = [];
  const src = pattern
    .split(/(\{device\}|\{channel\})/)
    .map((part) => {
      if (part === '{device}' || part === '{channel}') {
        names.push(part);
        return `(?<${part.slice(1, -1)}>[^/]+)`;
      }
      return escapeRe(part);
    })
    .join('');
  return { re: new RegExp(`^${src}$`), hasChannel: names.includes('{channel}') };
}

/** Topic shapes that are some vendor's energy topic: from an unregistered device they get 'unknown-device'. */
const TASMOTA_SHAPE = /^tele\/[^/]+\/(SENSOR|LWT|STATE)$/;
const SHELLY_SHAPE = /^[^$].*\/(online|events\/rpc|status\/(em1data|emdata|em1|em|switch|pm1):\d+)$/;

export { tasmotaTopic };

interface Tables {
  readonly exact: Map<string, Route>;
  readonly bases: Map<string, Device>;
  readonly mappedDevices: Map<string, Device>;
  readonly patterns: Map<string, Pattern>;
  readonly filters: Set<string>;
}

function addDevice(d: Device, t: Tables): void {
  if (d.format === 'tasmota') {
    t.exact.set(tasmotaTopic(d, 'tele', 'SENSOR'), { format: 'tasmota', device: d, part: 'sensor' });
    t.exact.set(tasmotaTopic(d, 'tele', 'LWT'), { format: 'tasmota', device: d, part: 'lwt' });
    for (const p of ['tele', 'stat', 'cmnd']) t.bases.set(tasmotaTopic(d, p, ''), d);
    t.filters.add(tasmotaTopic(d, '+', '#'));
    // Any Tasmota's energy topics, so an unregistered one is rejected as unknown-device rather than unseen.
    for (const leaf of ['SENSOR', 'LWT']) t.filters.add(`tele/+/${leaf}`);
  } else if (d.format === 'shelly-gen2') {
    t.exact.set(`${d.topic}/online`, { format: 'shelly-gen2', device: d, part: 'online' });
    t.exact.set(`${d.topic}/events/rpc`, { format: 'shelly-gen2', device: d, part: 'rpc' });
    t.bases.set(`${d.topic}/`, d);
    t.filters.add(`${d.topic}/#`);
    for (const f of ['+/online', '+/events/rpc', '+/status/+']) t.filters.add(f);
  } else if (d.mapping) {
    const m = d.mapping;
    t.mappedDevices.set(`${m.id}\0${d.topic}`, d);
    for (const [part, topic] of [
      ['reading', m.topic],
      ['status', m.status?.topic],
    ] as const) {
      if (topic === undefined) continue;
      if (!t.patterns.has(`${part}\0${m.id}`))
        t.patterns.set(`${part}\0${m.id}`, { ...compile(topic), mapping: m, part });
      // Every device id of the pattern: an unregistered gateway is then rejected (unknown-device), not unseen.
      t.filters.add(topic.replaceAll('{device}', '+').replaceAll('{channel}', '+'));
    }
  }
}

function build(registry: Registry): DeviceIndex {
  const tables: Tables = {
    exact: new Map(),
    bases: new Map(),
    mappedDevices: new Map(),
    patterns: new Map(),
    filters: new Set(),
  };
  for (const d of registry.devices ?? []) addDevice(d, tables);
  const { exact, bases, mappedDevices, patterns, filters } = tables;
  const patternList = [...patterns.values()];

  function routeBase(topic: string): Route | undefined {
    for (let k = topic.indexOf('/'); k !== -1; k = topic.indexOf('/', k + 1)) {
      const d = bases.get(topic.slice(0, k + 1));
      if (!d) continue;
      if (d.format === 'tasmota') return { format: 'tasmota', device: d, part: 'other' };
      const rest = topic.slice(k + 1);
      if (rest.startsWith('status/'))
        return { format: 'shelly-gen2', device: d, part: 'status', component: rest.slice('status/'.length) };
      return { format: 'shelly-gen2', device: d, part: 'other' };
    }
    return undefined;
  }

  return {
    filters: [...filters],
    route(topic) {
      const hit = exact.get(topic) ?? routeBase(topic);
      if (hit) return { route: hit };
      for (const p of patternList) {
        const m = p.re.exec(topic);
        if (!m) continue;
        const deviceId = m.groups!.device!;
        const device = mappedDevices.get(`${p.mapping.id}\0${deviceId}`);
        if (!device)
          return {
            unknownDevice: `device "${deviceId.slice(0, 100)}" (mapping ${p.mapping.id}) is not in devices.yaml`,
          };
        const channel = p.hasChannel ? m.groups!.channel : undefined;
        return { route: { format: 'mapped', device, part: p.part, ...(channel !== undefined && { channel }) } };
      }
      if (TASMOTA_SHAPE.test(topic) || SHELLY_SHAPE.test(topic))
        return { unknownDevice: `no device in devices.yaml publishes on "${topic.slice(0, 200)}"` };
      return undefined;
    },
  };
}

const cache = new WeakMap<Registry, DeviceIndex>();

/** The index of a registry (built on first use, then cached). */
export function deviceIndex(registry: Registry): DeviceIndex {
  let idx = cache.get(registry);
  if (!idx) cache.set(registry, (idx = build(registry)));
  return idx;
}

/** Topic filters for an external broker: our own topics plus every registered device's. */
export function ingestFilters(registry: Registry): string[] {
  return ['meters/#', ...deviceIndex(registry).filters];
}
