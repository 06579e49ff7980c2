/** Domain records that cross layers: what ingest accepts or rejects, what the store writes, what rollups read. */
/** Reasons a message (or one reading of a batch) is rejected; each is a label of kzm_ingest_rejected_total. */
export const REJECT_REASONS = [
  'oversized',
  'invalid-utf8',
  'invalid-json',
  'schema',
  'empty-batch',
  'unknown-topic',
  'unknown-meter',
  'future-timestamp',
  'before-commissioning',
  'after-decommissioning',
  'invalid-status',
  'influx-rejected',
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
}

export interface Rejection {
  readonly reason: RejectReason;
  /** What exactly was wrong, for the operator. */
  readonly detail: string;
  /** Meter id when the topic named a registered meter (bounded tag cardinality). */
  readonly meterId?: string;
}
