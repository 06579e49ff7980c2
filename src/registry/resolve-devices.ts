import type { DeviceInput, MappingInput } from './device-schema.ts';
import type { Device } from './types.ts';

const SHELLY_CHANNEL = /^(em1data:\d+|emdata:\d+(\.[abc])?|switch:\d+|pm1:\d+)$/;
const TASMOTA_FULLTOPIC = /%prefix%/;

function channelProblem(format: Device['format'], channel: string | undefined): string | undefined {
  if (format === 'shelly-gen2') {
    if (channel === undefined) return 'shelly-gen2 needs the component to read, e.g. em1data:0, emdata:0, switch:0';
    if (!SHELLY_CHANNEL.test(channel))
      return `"${channel}" is not a Shelly energy component (em1data:N, emdata:N, emdata:N.a|b|c, switch:N, pm1:N)`;
  }
  if (format === 'tasmota' && channel !== undefined && !/^[1-9]\d*$/.test(channel))
    return `tasmota channel "${channel}" must be a 1-based index into ENERGY arrays (absent = their sum)`;
  return undefined;
}

interface Ctx {
  readonly problems: string[];
  readonly file: string;
  readonly meterIds: ReadonlySet<string>;
  /** meter id -> the device channel feeding it */
  readonly fed: Map<string, string>;
}

function mappingOf(d: DeviceInput, where: string, byId: ReadonlyMap<string, MappingInput>, c: Ctx) {
  if (d.format !== 'mapped') {
    if (d.mapping !== undefined) c.problems.push(`${where} field "mapping": only for format mapped`);
    return undefined;
  }
  const mapping = d.mapping === undefined ? undefined : byId.get(d.mapping);
  if (!mapping) c.problems.push(`${where} field "mapping": no mapping with id "${d.mapping ?? ''}" in ${c.file}`);
  else if (d.topic.includes('/')) c.problems.push(`${where} field "topic": a mapped device id is one topic level`);
  return mapping;
}

function metersOf(d: DeviceInput, where: string, key: string, c: Ctx): Device['meters'] {
  return d.meters.map((m, k) => {
    const channel = m.channel === undefined ? undefined : String(m.channel);
    if (!c.meterIds.has(m.meter))
      c.problems.push(`${where} field "meters[${k}].meter": no meter with id "${m.meter}" in meters.yaml`);
    const bad = channelProblem(d.format, channel);
    if (bad) c.problems.push(`${where} field "meters[${k}].channel": ${bad}`);
    const feed = `${key}\0${channel ?? ''}`;
    const other = c.fed.get(m.meter);
    if (other !== undefined && other !== feed)
      c.problems.push(
        `${where} field "meters[${k}].meter": meter "${m.meter}" is already fed by another device channel`,
      );
    c.fed.set(m.meter, feed);
    return { meterId: m.meter, ...(channel !== undefined && { channel }) };
  });
}

/** Devices checked against the meters and the mappings; problems name the file, entry and field. */
export function resolveDevices(
  devices: readonly DeviceInput[],
  mappings: readonly MappingInput[],
  meterIds: ReadonlySet<string>,
  file: string,
): { devices: Device[]; problems: string[] } {
  const c: Ctx = { problems: [], file, meterIds, fed: new Map() };
  const mappingById = new Map(mappings.map((m) => [m.id, m]));
  const seenMapping = new Set<string>();
  for (const m of mappings) {
    if (seenMapping.has(m.id)) c.problems.push(`${file}: mapping id "${m.id}" appears twice`);
    seenMapping.add(m.id);
  }
  const seen = new Set<string>();
  const out = devices.map((d, i): Device => {
    const where = `${file}: entry devices[${i}] (topic "${d.topic}")`;
    const key = `${d.format}\0${d.mapping ?? ''}\0${d.topic}`;
    if (seen.has(key)) c.problems.push(`${where}: the same device appears twice`);
    seen.add(key);
    const mapping = mappingOf(d, where, mappingById, c);
    if (d.fullTopic !== undefined && (d.format !== 'tasmota' || !TASMOTA_FULLTOPIC.test(d.fullTopic)))
      c.problems.push(`${where} field "fullTopic": only for tasmota, and it must contain %prefix%`);
    return {
      topic: d.topic,
      format: d.format,
      ...(d.format === 'tasmota' && { fullTopic: d.fullTopic ?? '%prefix%/%topic%/' }),
      ...(mapping && { mapping }),
      meters: metersOf(d, where, key, c),
    };
  });
  return { devices: out, problems: c.problems };
}
