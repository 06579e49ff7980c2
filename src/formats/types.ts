/**
 * What a device format is made of (README "Connecting real meters"): one DeviceFormatSpec per format in
 * src/formats/table.ts, read by the registry (its devices.yaml checks), ingest (routing and decoding) and the
 * brokers' topic rights (embedded ACL, Mosquitto's acl file). The meter and registry shapes here are the part
 * of the registry's records that formats need, so this floor sits below the registry.
 */
import type { MeterFacts } from '../fees/index.ts';
import type { DeviceInput, MappingInput } from './device-schema.ts';
import type { Collector } from './collect.ts';
import type { DeviceFormat } from './table.ts';

/** A registered meter as decoders see it: the fee engine's facts, under `id`. */
export type FormatMeter = Omit<MeterFacts, 'meterId'> & { readonly id: string };

/** The registry as decoders see it. */
export interface FormatRegistry {
  readonly meterById: ReadonlyMap<string, FormatMeter>;
  /** Devices publishing in vendor formats (devices.yaml). */
  readonly devices?: readonly Device[];
}

/** A device publishing in a vendor format, resolved: its mapping looked up, channels as strings. */
export interface Device {
  readonly topic: string;
  readonly format: DeviceFormat;
  /** tasmota: FullTopic with %prefix% and %topic%. */
  readonly fullTopic?: string;
  readonly mapping?: MappingInput;
  readonly meters: readonly { readonly meterId: string; readonly channel?: string }[];
}

/**
 * Where a topic belongs: a device and the part of it (a format's own words: "sensor", "lwt", "online",
 * "status", "rpc", "reading"; "other" is a topic of the device that carries no energy). `sub`: the Shelly
 * component or the mapped gateway's channel named in the topic.
 */
export interface Route {
  readonly format: DeviceFormat;
  readonly device: Device;
  readonly part: string;
  readonly sub?: string;
}

export type RouteResult = { readonly route: Route } | { readonly unknownDevice: string } | undefined;

/** A topic matcher a format adds to the index (mapped gateways' patterns). */
export interface TopicMatcher {
  match(topic: string): RouteResult;
}

/** The index being built: exact topics, per-device topic prefixes, matchers, subscription filters. */
export interface IndexTables {
  readonly exact: Map<string, Route>;
  /** Topic prefix (ending in "/") -> the device whose topics are under it. */
  readonly bases: Map<string, Device>;
  /** Keyed, so a format adds one matcher per pattern and fills it device by device. */
  readonly matchers: Map<string, TopicMatcher>;
  readonly filters: Set<string>;
}

/** What the registry's devices.yaml check hands a format for one entry. */
export interface EntryCheck {
  readonly where: string;
  readonly file: string;
  readonly mappings: ReadonlyMap<string, MappingInput>;
  readonly problems: string[];
}

export interface DeviceFormatSpec {
  /** devices.yaml fields only this format takes (another format's entry with them is refused). */
  readonly ownFields: readonly ('mapping' | 'fullTopic')[];
  /** A problem with the `channel` of one of the device's meters, as a sentence; undefined when fine. */
  channelProblem(channel: string | undefined): string | undefined;
  /** Checks of the entry that only this format has (push to check.problems); what its Device carries. */
  resolveEntry(d: DeviceInput, check: EntryCheck): Pick<Device, 'fullTopic' | 'mapping'>;
  /** Add the device's topics to the index (exact topics, prefixes, matchers) and the filters to subscribe. */
  index(d: Device, t: IndexTables): void;
  /** A topic under one of the device's prefixes (`rest`: what follows the prefix). */
  routeUnder?(d: Device, rest: string): Route;
  /** A topic of this vendor's shape: from an unregistered device it is rejected as unknown-device. */
  readonly unknownShape?: RegExp;
  /** This part carries availability (online/offline): a status message, and a topic the device's will may use. */
  isStatus(part: string): boolean;
  /** MQTT filters covering every topic of this one device (for a broker's ACL): never another device's. */
  aclFilters(d: Device): string[];
  /** Decode one message of a route; 'ignored' when it carries no energy of the device's meters. */
  decode(c: Collector, registry: FormatRegistry, route: Route, text: string): 'ignored' | void;
}
