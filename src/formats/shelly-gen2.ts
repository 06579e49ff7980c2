/**
 * Shelly Gen2+ devices (Shelly API docs: "MQTT", "Notifications", components EM1Data, EMData, Switch, PM1).
 * - <prefix>/online: "true" / "false" (retained; false is the device's MQTT will);
 * - <prefix>/status/<component>: the component's whole status when status_ntf is on; it has no time of its
 *   own, so the reading is stamped on arrival;
 * - <prefix>/events/rpc: NotifyStatus / NotifyFullStatus frames {"method","params":{"ts":<unix s>,"<component>":
 *   {...}}}; a NotifyStatus carries only what changed, so a component without its energy field is skipped.
 * Energy registers in Wh: em1data:N total_act_energy; emdata:N total_act (or a_/b_/c_total_act_energy for a
 * phase); switch:N and pm1:N aenergy.total (these reset to 0 on reboot: the ledger sees a register reset).
 */
import type { DeviceFormatSpec, FormatRegistry, Route } from './types.ts';
import { parseState } from './state-value.ts';
import { targetsOf } from './targets.ts';
import { acceptReading, acceptStatus, isObject, parseJson, toWh, type Collector } from './collect.ts';

type Outcome = 'ignored' | undefined;

/** [component key, register, power W] of a channel such as em1data:0, emdata:0.b, switch:1. */
function readChannel(status: Record<string, unknown>, channel: string): { wh: unknown; w: unknown } | undefined {
  const [component, phase] = channel.split('.') as [string, string | undefined];
  if (component.startsWith('em1data:'))
    return 'total_act_energy' in status ? { wh: status.total_act_energy, w: undefined } : undefined;
  if (component.startsWith('emdata:')) {
    const key = phase ? `${phase}_total_act_energy` : 'total_act';
    return key in status ? { wh: status[key], w: undefined } : undefined;
  }
  const ae = status.aenergy;
  return isObject(ae) && 'total' in ae ? { wh: ae.total, w: status.apower } : undefined;
}

function readingFrom(
  c: Collector,
  registry: FormatRegistry,
  route: Route,
  comps: (comp: string) => unknown,
  tsMs: number,
): number {
  let n = 0;
  for (const { meter, channel } of targetsOf(registry, route.device)) {
    const component = channel!.split('.')[0]!;
    const status = comps(component);
    if (!isObject(status)) continue;
    const v = readChannel(status, channel!);
    if (!v) continue;
    n++;
    const wh = toWh(v.wh, 'Wh');
    if (!wh.ok) {
      c.tally.add('schema', meter.id, `${channel}: ${wh.detail}`);
      continue;
    }
    const kw = typeof v.w === 'number' && Number.isFinite(v.w) && v.w >= 0 ? v.w / 1000 : undefined;
    acceptReading(c, meter, { tsMs, registerWh: wh.wh, status: 'ok' }, kw);
  }
  return n;
}

function decodeShelly(c: Collector, registry: FormatRegistry, route: Route, text: string): Outcome {
  if (route.part === 'online') {
    const state = parseState(text, ['true', 'online'], ['false', 'offline']);
    for (const { meter } of targetsOf(registry, route.device)) {
      if (state) acceptStatus(c, meter, state);
      else c.tally.add('invalid-status', meter.id, `Shelly online must be true or false, got "${text.slice(0, 50)}"`);
    }
    return;
  }
  if (route.part === 'other') return 'ignored';
  const uses = (comp: string) => route.device.meters.some((m) => m.channel?.split('.')[0] === comp);
  if (route.part === 'status' && !uses(route.sub ?? '')) return 'ignored';
  const first = route.device.meters[0]?.meterId;
  const json = parseJson(text);
  if (!json.ok) return void c.tally.add(json.reason, first, json.detail);
  const doc = json.doc;
  if (!isObject(doc)) return void c.tally.add('schema', first, 'a Shelly status or notification is a JSON object');
  if (route.part === 'status') {
    const n = readingFrom(c, registry, route, (comp) => (comp === route.sub ? doc : undefined), c.ctx.nowMs);
    if (n === 0) c.tally.add('schema', first, `${route.sub} status has no energy register`);
    return;
  }
  if (doc.method !== 'NotifyStatus' && doc.method !== 'NotifyFullStatus') return 'ignored';
  const params = doc.params;
  if (!isObject(params)) return void c.tally.add('schema', first, `${String(doc.method)} without params`);
  let tsMs = c.ctx.nowMs;
  if (params.ts !== undefined) {
    if (typeof params.ts !== 'number' || !Number.isFinite(params.ts) || params.ts < 946_684_800)
      return void c.tally.add(
        'bad-timestamp',
        first,
        `params.ts ${JSON.stringify(params.ts)?.slice(0, 30)} is not a Unix time in s`,
      );
    tsMs = Math.round(params.ts * 1000);
  }
  return readingFrom(c, registry, route, (comp) => params[comp], tsMs) === 0 ? 'ignored' : undefined;
}

const SHELLY_CHANNEL = /^(em1data:\d+|emdata:\d+(\.[abc])?|switch:\d+|pm1:\d+)$/;

export const shellyGen2: DeviceFormatSpec = {
  ownFields: [],
  channelProblem(channel) {
    if (channel === undefined) return 'shelly-gen2 needs the component to read, e.g. em1data:0, emdata:0, switch:0';
    if (!SHELLY_CHANNEL.test(channel))
      return `"${channel}" is not a Shelly energy component (em1data:N, emdata:N, emdata:N.a|b|c, switch:N, pm1:N)`;
    return undefined;
  },
  resolveEntry: () => ({}),
  index(d, t) {
    t.exact.set(`${d.topic}/online`, { format: 'shelly-gen2', device: d, part: 'online' });
    t.exact.set(`${d.topic}/events/rpc`, { format: 'shelly-gen2', device: d, part: 'rpc' });
    t.bases.set(`${d.topic}/`, d);
    t.filters.add(`${d.topic}/#`);
    for (const f of ['+/online', '+/events/rpc', '+/status/+']) t.filters.add(f);
  },
  routeUnder: (d, rest) =>
    rest.startsWith('status/')
      ? { format: 'shelly-gen2', device: d, part: 'status', sub: rest.slice('status/'.length) }
      : { format: 'shelly-gen2', device: d, part: 'other' },
  unknownShape: /^[^$].*\/(online|events\/rpc|status\/(em1data|emdata|em1|em|switch|pm1):\d+)$/,
  isStatus: (part) => part === 'online',
  aclFilters: (d) => [`${d.topic}/#`],
  decode: decodeShelly,
};
