/** Domain records that cross layers: what ingest accepts or rejects, what the store writes, what rollups read. */
/** Reasons a message (or one reading of a batch) is rejected; each is a label of kzm_ingest_rejected_total. */
export const REJECT_REASONS = [
  'oversized',
  'invalid-utf8',
  'invalid-json',
  /** JSON nested deeper than the decoders walk (formats/collect.ts MAX_JSON_DEPTH). */
  'too-deep',
  'schema',
  'empty-batch',
  'unknown-topic',
  'unknown-meter',
  'future-timestamp',
  'before-commissioning',
  'after-decommissioning',
  'invalid-status',
  'influx-rejected',
  /** A device-format topic (Tasmota, Shelly, a mapped gateway) from a device id the registry does not list. */
  'unknown-device',
  /** The payload states a unit that is not an energy unit (or not the one configured). */
  'wrong-unit',
  /** The register jumped by a unit factor (x1000 or /1000) from the meter's last reading: Wh sent as kWh. */
  'unit-jump',
  /** The device's timestamp is missing, malformed or not in the configured form. */
  'bad-timestamp',
  /** A decoder threw (a bug): the message is recorded and acknowledged, never redelivered forever. */
  'decoder-failed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A validated reading, energy already converted to integer Wh. */
export interface AcceptedReading {
  readonly meterId: string;
  readonly siteId: string;
  readonly tsMs: number;
  readonly registerWh: number;
  readonly kw?: number;
  readonly status: 'ok' | 'fault';
}

export interface AcceptedStatus {
  readonly meterId: string;
  readonly siteId: string;
  readonly state: 'online' | 'offline';
  /** The status's own time when the device sent one (a gateway forwarding an outage); else it is stamped on arrival. */
  readonly tsMs?: number;
}

/** Messages on topics that carry nothing to meter: counted (kzm_ingest_ignored_total) and sampled into `rejected`. */
export const IGNORE_REASONS = [
  /** No format understands the topic. */
  'unknown-topic',
  /** A registered device's topic that carries no energy (Tasmota STATE, Shelly sys/wifi status, events). */
  'not-metering',
] as const;
export type IgnoreReason = (typeof IGNORE_REASONS)[number];

export interface Rejection {
  readonly reason: RejectReason;
  /** What exactly was wrong, for the operator. */
  readonly detail: string;
  /** Meter id when the topic named a registered meter (bounded tag cardinality). */
  readonly meterId?: string;
}

/**
 * Derived data that follows stored readings (rollups, fee days, later daily seals): ingest announces, each
 * listener follows. Ingest knows no listener by name; the service hands it the list.
 */
export interface StoredReadingsListener {
  /**
   * Lines written in the same batch as these readings (a durable "to do" mark), before they are stored. `group`,
   * when the writer tells it: the write these lines join; lines of one group are stored together, so a mark
   * already in the group need not be repeated.
   */
  linesFor?(readings: readonly AcceptedReading[], receivedMs: number, group?: object): readonly string[];
  /** These readings are stored (their write acknowledged). Must not throw or block. */
  stored(readings: readonly AcceptedReading[], receivedMs: number): void;
}
