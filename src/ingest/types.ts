import type { AcceptedReading, AcceptedStatus, IgnoreReason } from '../model/reading.ts';
import type { RejectionGroup } from '../formats/tally.ts';

export type { AcceptedReading, AcceptedStatus, Rejection, RejectReason } from '../model/reading.ts';
export type { RejectionGroup } from '../formats/tally.ts';

/** What one MQTT message decodes to; bounded whatever the payload's size. */
export interface DecodedMessage {
  readonly kind: 'reading' | 'status' | 'other';
  readonly readings: readonly AcceptedReading[];
  /** One per meter the status applies to (a device may feed several meters). */
  readonly statuses: readonly AcceptedStatus[];
  /** Folded by (reason, meter): a count and a sample detail each. */
  readonly rejections: readonly RejectionGroup[];
  /** A topic that carries nothing to meter: counted apart (kzm_ingest_ignored_total) and sampled. */
  readonly ignored?: { readonly reason: IgnoreReason; readonly detail: string };
}
