/**
 * devices.yaml checked against the meters and the mappings. The checks every device has (meters exist, one
 * feed per meter, no duplicate) are here; what only one format has (Shelly components, Tasmota's FullTopic,
 * a gateway's mapping) is that format's record's (src/formats/table.ts).
 */
import type { DeviceInput, MappingInput } from '../formats/device-schema.ts';
import { FORMATS, formatSpec } from '../formats/table.ts';
import type { EntryCheck } from '../formats/types.ts';
import type { Device } from './types.ts';

interface Ctx {
  readonly problems: string[];
  readonly file: string;
  readonly meterIds: ReadonlySet<string>;
  /** meter id -> the device channel feeding it */
  readonly fed: Map<string, string>;
}

/** A field that only another format takes. */
function foreignFields(d: DeviceInput, where: string, c: Ctx): void {
  for (const [name, spec] of Object.entries(FORMATS)) {
    if (name === d.format) continue;
    for (const field of spec.ownFields)
      if (d[field] !== undefined) c.problems.push(`${where} field "${field}": only for format ${name}`);
  }
}

function metersOf(d: DeviceInput, where: string, key: string, c: Ctx): Device['meters'] {
  const spec = formatSpec(d.format);
  return d.meters.map((m, k) => {
    const channel = m.channel === undefined ? undefined : String(m.channel);
    if (!c.meterIds.has(m.meter))
      c.problems.push(`${where} field "meters[${k}].meter": no meter with id "${m.meter}" in meters.yaml`);
    const bad = spec.channelProblem(channel);
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
    foreignFields(d, where, c);
    const check: EntryCheck = { where, file, mappings: mappingById, problems: c.problems };
    return {
      topic: d.topic,
      format: d.format,
      ...formatSpec(d.format).resolveEntry(d, check),
      meters: metersOf(d, where, key, c),
    };
  });
  return { devices: out, problems: c.problems };
}
