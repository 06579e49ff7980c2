/**
 * Tasmota energy monitors (Tasmota docs, "MQTT" and "Power Monitoring"): telemetry on tele/<topic>/SENSOR as
 * {"Time":"2025-07-01T05:00:00","ENERGY":{"TotalStartTime":"...","Total":12.345,"Power":45,...}} with Total
 * in kWh (an array per channel on multi-channel devices) and Time as local wall time without an offset unless
 * SetOption52 adds one; availability on tele/<topic>/LWT as Online / Offline (retained, the broker's will).
 * A Time before 2016 means the device has no NTP time yet ("1970-01-01T00:33:28"): telemetry is sent live,
 * so it is stamped on arrival. A TotalStartTime change means the counter was reset: the ledger sees a reset.
 */
import type { Device, DeviceFormatSpec, FormatRegistry, Route } from './types.ts';
import { parseDeviceTime } from './timestamps.ts';
import { parseState } from './state-value.ts';
import { targetsOf } from './targets.ts';
import { acceptReading, acceptStatus, isObject, parseJson, toWh, type Collector } from './collect.ts';

/** Before NTP sync Tasmota counts from 1970 ("1970-01-01T00:33:28"). */
const clockNotSet = (time: unknown): boolean => typeof time === 'string' && /^(19\d\d|200\d|201[0-5])-/.test(time);

/** Scalar, or the channel's element (1-based) of an array, or the sum of the array without a channel. */
function channelValue(v: unknown, channel: string | undefined): unknown {
  if (!Array.isArray(v)) return channel === undefined || channel === '1' ? v : undefined;
  if (channel !== undefined) return v[Number(channel) - 1];
  let sum = 0;
  for (const x of v) {
    if (typeof x !== 'number') return undefined;
    sum += x;
  }
  return sum;
}

function decodeTasmota(c: Collector, registry: FormatRegistry, route: Route, text: string): void {
  const targets = targetsOf(registry, route.device);
  if (route.part === 'lwt') {
    const state = parseState(text);
    for (const { meter } of targets) {
      if (state) acceptStatus(c, meter, state);
      else c.tally.add('invalid-status', meter.id, `Tasmota LWT must be Online or Offline, got "${text.slice(0, 50)}"`);
    }
    return;
  }
  const json = parseJson(text);
  const first = targets[0]?.meter.id;
  if (!json.ok) return c.tally.add(json.reason, first, json.detail);
  const doc = json.doc;
  const energy = isObject(doc) ? doc.ENERGY : undefined;
  if (!isObject(doc) || !isObject(energy))
    return c.tally.add('schema', first, 'Tasmota SENSOR without an ENERGY object (not an energy monitor?)');
  for (const { meter, channel } of targets) {
    let tsMs = c.ctx.nowMs;
    if (doc.Time !== undefined && !clockNotSet(doc.Time)) {
      const t = parseDeviceTime(doc.Time, 'local', meter.timeZone);
      if (!t.ok) {
        c.tally.add('bad-timestamp', meter.id, `Time: ${t.detail}`);
        continue;
      }
      tsMs = t.ms;
    }
    const total = channelValue(energy.Total, channel);
    if (total === undefined) {
      c.tally.add(
        'schema',
        meter.id,
        `ENERGY.Total has no channel ${channel ?? '(sum)'}: ${JSON.stringify(energy.Total)?.slice(0, 60)}`,
      );
      continue;
    }
    const wh = toWh(total, 'kWh');
    if (!wh.ok) {
      c.tally.add('schema', meter.id, `ENERGY.Total: ${wh.detail}`);
      continue;
    }
    const powerW = channelValue(energy.Power, channel);
    const kw = typeof powerW === 'number' && Number.isFinite(powerW) && powerW >= 0 ? powerW / 1000 : undefined;
    acceptReading(c, meter, { tsMs, registerWh: wh.wh, status: 'ok' }, kw);
  }
}

/** A Tasmota topic: its FullTopic with %prefix% and %topic% filled in, then the leaf. */
export function tasmotaTopic(device: Device, prefix: string, leaf: string): string {
  const full = (device.fullTopic ?? '%prefix%/%topic%/')
    .replaceAll('%prefix%', prefix)
    .replaceAll('%topic%', device.topic);
  return `${full.endsWith('/') ? full : `${full}/`}${leaf}`;
}

export const tasmota: DeviceFormatSpec = {
  ownFields: ['fullTopic'],
  channelProblem: (channel) =>
    channel !== undefined && !/^[1-9]\d*$/.test(channel)
      ? `tasmota channel "${channel}" must be a 1-based index into ENERGY arrays (absent = their sum)`
      : undefined,
  resolveEntry(d, check) {
    if (d.fullTopic !== undefined && !d.fullTopic.includes('%prefix%'))
      check.problems.push(`${check.where} field "fullTopic": it must contain %prefix%`);
    return { fullTopic: d.fullTopic ?? '%prefix%/%topic%/' };
  },
  index(d, t) {
    t.exact.set(tasmotaTopic(d, 'tele', 'SENSOR'), { format: 'tasmota', device: d, part: 'sensor' });
    t.exact.set(tasmotaTopic(d, 'tele', 'LWT'), { format: 'tasmota', device: d, part: 'lwt' });
    for (const p of ['tele', 'stat', 'cmnd']) t.bases.set(tasmotaTopic(d, p, ''), d);
    t.filters.add(tasmotaTopic(d, '+', '#'));
    // Any Tasmota's energy topics, so an unregistered one is rejected as unknown-device rather than unseen.
    for (const leaf of ['SENSOR', 'LWT']) t.filters.add(`tele/+/${leaf}`);
  },
  routeUnder: (d) => ({ format: 'tasmota', device: d, part: 'other' }),
  unknownShape: /^tele\/[^/]+\/(SENSOR|LWT|STATE)$/,
  isStatus: (part) => part === 'lwt',
  aclFilters: (d) => [tasmotaTopic(d, '+', '#')],
  decode: decodeTasmota,
};
