/** What the generator emits: publishes and connection actions, in time order. Plain data. */
import type { FailureKindName } from './plan-types.ts';

/** A reading as the service will decode it (meter from the topic, Wh = kwh x 1000). */
export interface PublishedReading {
  readonly tsMs: number;
  readonly registerWh: number;
  readonly status: 'ok' | 'fault';
}

export type MessageKind = 'reading' | 'flush' | 'status' | 'garbage' | 'wrong-topic';

export interface PublishMessage {
  readonly type: 'publish';
  /** Simulated instant the message is sent (drives the clock). */
  readonly atMs: number;
  /** Meter whose client sends it (for wrong-topic: the impostor, not the topic's meter). */
  readonly meterId: string;
  readonly topic: string;
  readonly payload: string | Uint8Array;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  readonly kind: MessageKind;
  /** The failure this message carries or is shaped by (spike, duplicate, out-of-order, clock-skew, fault, ...). */
  readonly failure?: FailureKindName;
  readonly failureId?: number;
  /** A status forwarded after the fact saying the link was down from this instant (ground truth, not sent). */
  readonly offlineAtMs?: number;
  /** Readings inside the payload, for ground truth (not sent). */
  readonly readings?: readonly PublishedReading[];
}

/** Drop the meter's TCP link without DISCONNECT (broker publishes the will), or bring it back. */
export interface ConnectionAction {
  readonly type: 'drop' | 'reconnect';
  readonly atMs: number;
  readonly meterId: string;
  readonly failureId: number;
}

/**
 * Nothing to send: the generator ran a meter's physics through a stretch it does not send (a resumed run,
 * SimPlan.resumeAfterMs) and pauses, so a consumer sharing the event loop (serve --simulate) can let others run.
 */
export interface IdleMark {
  readonly type: 'idle';
  readonly atMs: number;
  readonly meterId: string;
}

export type SimMessage = PublishMessage | ConnectionAction | IdleMark;

/** One line per message, stable across runs: what determinism tests compare. */
export function serializeMessage(m: SimMessage): string {
  if (m.type === 'idle') return `${m.atMs} idle ${m.meterId}`;
  if (m.type !== 'publish') return `${m.atMs} ${m.type} ${m.meterId} #${m.failureId}`;
  const body = typeof m.payload === 'string' ? m.payload : `hex:${Buffer.from(m.payload).toString('hex')}`;
  return `${m.atMs} ${m.meterId} ${m.topic} q${m.qos}${m.retain ? 'r' : ''} ${m.kind}${m.failure ? `/${m.failure}` : ''} ${body}`;
}

export const readingTopic = (meterId: string): string => `meters/${meterId}/reading`;
export const statusTopic = (meterId: string): string => `meters/${meterId}/status`;
