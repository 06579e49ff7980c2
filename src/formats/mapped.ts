/**
 * A declarative mapping for any JSON gateway (Modbus or DLMS/IEC 62056 to MQTT): topic pattern with {device}
 * and {channel}, JSON pointers to the register, its unit and its time, optional status topic and values.
 * A payload may be one object or an array of them (a gateway flushing what it buffered).
 */
import type { EnergyUnit, MappingInput } from './device-schema.ts';
import type {
  Device,
  DeviceFormatSpec,
  FormatMeter,
  FormatRegistry,
  Route,
  RouteResult,
  TopicMatcher,
} from './types.ts';
import { pointerFor, pointerGet } from './json-pointer.ts';
import { parseDeviceTime } from './timestamps.ts';
import { parseState } from './state-value.ts';
import { targetsOf } from './targets.ts';
import { acceptReading, acceptStatus, forEachReadingObject, parseJson, toWh, type Collector } from './collect.ts';

const UNITS: Record<string, EnergyUnit> = { wh: 'Wh', kwh: 'kWh', mwh: 'MWh' };

function timeOf(
  item: unknown,
  spec: MappingInput['timestamp'],
  channel: string | undefined,
  meter: FormatMeter,
  nowMs: number,
): { ok: true; ms: number } | { ok: false; detail: string } {
  if (spec.form === 'arrival') return { ok: true, ms: nowMs };
  const raw = pointerGet(item, pointerFor(spec.pointer ?? '', channel));
  const t = parseDeviceTime(raw, spec.form, meter.timeZone);
  return t.ok ? t : { ok: false, detail: `${spec.pointer ?? '(payload)'}: ${t.detail}` };
}

function unitOf(item: unknown, m: MappingInput): { ok: true; unit: EnergyUnit } | { ok: false; detail: string } {
  if (m.unitPointer === undefined) return { ok: true, unit: m.unit };
  const v = pointerGet(item, m.unitPointer);
  const unit = typeof v === 'string' ? UNITS[v.trim().toLowerCase()] : undefined;
  if (!unit)
    return { ok: false, detail: `${m.unitPointer} says ${JSON.stringify(v)?.slice(0, 30)}, not Wh, kWh or MWh` };
  return { ok: true, unit };
}

function decodeReadings(c: Collector, registry: FormatRegistry, route: Route, doc: unknown) {
  const m = route.device.mapping!;
  const targets = targetsOf(registry, route.device, route.sub);
  const first = route.device.meters[0]!.meterId;
  if (targets.length === 0)
    return c.tally.add(
      'unknown-device',
      undefined,
      `device "${route.device.topic}" has no meter on channel "${route.sub}"`,
    );
  forEachReadingObject(c, first, doc, (item, where) => {
    const unit = unitOf(item, m);
    for (const { meter, channel } of targets) {
      if (!unit.ok) {
        c.tally.add('wrong-unit', meter.id, () => `${where}${unit.detail}`);
        continue;
      }
      const pointer = pointerFor(m.register, channel);
      const raw = pointerGet(item, pointer);
      const wh = toWh(raw, unit.unit);
      if (!wh.ok) {
        c.tally.add('schema', meter.id, () => `${where}${pointer}: ${wh.detail}`);
        continue;
      }
      const t = timeOf(item, m.timestamp, channel, meter, c.ctx.nowMs);
      if (!t.ok) {
        c.tally.add('bad-timestamp', meter.id, () => `${where}${t.detail}`);
        continue;
      }
      const w = m.powerW === undefined ? undefined : pointerGet(item, pointerFor(m.powerW, channel));
      const kw = typeof w === 'number' && Number.isFinite(w) && w >= 0 ? w / 1000 : undefined;
      acceptReading(c, meter, { tsMs: t.ms, registerWh: wh.wh, status: 'ok' }, kw, where);
    }
  });
}

function decodeStatus(c: Collector, registry: FormatRegistry, route: Route, text: string) {
  const s = route.device.mapping!.status!;
  const targets = targetsOf(registry, route.device, route.sub);
  let items: unknown[] = [text.trim()];
  if (s.pointer !== undefined || s.timestamp.form !== 'arrival') {
    const json = parseJson(text);
    if (!json.ok) return c.tally.add(json.reason, targets[0]?.meter.id, json.detail);
    items = Array.isArray(json.doc) ? json.doc : [json.doc];
  }
  for (const item of items) {
    const value = s.pointer === undefined ? item : pointerGet(item, s.pointer);
    const state = parseState(value, s.online, s.offline);
    for (const { meter, channel } of targets) {
      if (!state) {
        c.tally.add(
          'invalid-status',
          meter.id,
          () => `status ${JSON.stringify(value)?.slice(0, 50)} is neither online nor offline`,
        );
        continue;
      }
      if (s.timestamp.form === 'arrival') {
        acceptStatus(c, meter, state);
        continue;
      }
      const t = timeOf(item, s.timestamp, channel, meter, c.ctx.nowMs);
      if (t.ok) acceptStatus(c, meter, state, t.ms);
      else c.tally.add('bad-timestamp', meter.id, () => `status ${t.detail}`);
    }
  }
}

function decodeMapped(c: Collector, registry: FormatRegistry, route: Route, text: string): void {
  if (route.part === 'status') return decodeStatus(c, registry, route, text);
  const json = parseJson(text);
  if (!json.ok) return c.tally.add(json.reason, route.device.meters[0]!.meterId, json.detail);
  decodeReadings(c, registry, route, json.doc);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A topic pattern with {device} and {channel} as a regular expression with named groups. */
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

/** One mapping's reading or status pattern, and the registered gateways (by {device}) that use it. */
class PatternMatcher implements TopicMatcher {
  readonly devices = new Map<string, Device>();
  private readonly re: RegExp;
  private readonly hasChannel: boolean;
  constructor(
    pattern: string,
    private readonly mapping: MappingInput,
    private readonly part: 'reading' | 'status',
  ) {
    ({ re: this.re, hasChannel: this.hasChannel } = compile(pattern));
  }
  match(topic: string): RouteResult {
    const m = this.re.exec(topic);
    if (!m) return undefined;
    const deviceId = m.groups!.device!;
    const device = this.devices.get(deviceId);
    if (!device)
      return {
        unknownDevice: `device "${deviceId.slice(0, 100)}" (mapping ${this.mapping.id}) is not in devices.yaml`,
      };
    const channel = this.hasChannel ? m.groups!.channel : undefined;
    return { route: { format: 'mapped', device, part: this.part, ...(channel !== undefined && { sub: channel }) } };
  }
}

export const mapped: DeviceFormatSpec = {
  ownFields: ['mapping'],
  channelProblem: () => undefined,
  resolveEntry(d, check) {
    const mapping = d.mapping === undefined ? undefined : check.mappings.get(d.mapping);
    if (!mapping)
      check.problems.push(`${check.where} field "mapping": no mapping with id "${d.mapping ?? ''}" in ${check.file}`);
    else if (d.topic.includes('/'))
      check.problems.push(`${check.where} field "topic": a mapped device id is one topic level`);
    return mapping ? { mapping } : {};
  },
  index(d, t) {
    const m = d.mapping;
    if (!m) return;
    for (const [part, topic] of [
      ['reading', m.topic],
      ['status', m.status?.topic],
    ] as const) {
      if (topic === undefined) continue;
      const key = `mapped\0${part}\0${m.id}`;
      let matcher = t.matchers.get(key) as PatternMatcher | undefined;
      if (!matcher) t.matchers.set(key, (matcher = new PatternMatcher(topic, m, part)));
      matcher.devices.set(d.topic, d);
      // Every device id of the pattern: an unregistered gateway is then rejected (unknown-device), not unseen.
      t.filters.add(topic.replaceAll('{device}', '+').replaceAll('{channel}', '+'));
    }
  },
  isStatus: (part) => part === 'status',
  aclFilters(d) {
    const m = d.mapping;
    if (!m) return [];
    return [m.topic, m.status?.topic]
      .filter((t): t is string => t !== undefined)
      .map((t) => t.replaceAll('{device}', d.topic).replaceAll('{channel}', '+'));
  },
  decode: decodeMapped,
};
