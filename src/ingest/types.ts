import type { AcceptedReading, AcceptedStatus, Rejection } from '../model/reading.ts';

export type { AcceptedReading, AcceptedStatus, Rejection, RejectReason } from '../model/reading.ts';

/** What one MQTT message decodes to. */
export interface DecodedMessage {
  readonly kind: 'reading' | 'status' | 'other';
  readonly readings: readonly AcceptedReading[];
  readonly status?: AcceptedStatus;
  readonly rejections: readonly Rejection[];
}
