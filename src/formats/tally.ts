import type { IgnoreReason, RejectReason } from '../model/reading.ts';

/** Rejections of one message folded by reason and meter: a count and the first detail as a sample. */
export interface RejectionGroup {
  /** An ignored topic is stored the same way, with its ignore reason. */
  readonly reason: RejectReason | IgnoreReason;
  readonly count: number;
  /** The first occurrence's detail (a sample); later ones are only counted. */
  readonly detail: string;
  readonly meterId?: string;
}

/**
 * Bounded by design (architecture principle 9): whatever the size of a message, it yields at most one group
 * per (reason, meter), and the detail string is built only for the first occurrence.
 */
export interface RejectionTally {
  add(reason: RejectionGroup['reason'], meterId: string | undefined, detail: string | (() => string)): void;
  readonly size: number;
  groups(): RejectionGroup[];
}

type Group = { reason: RejectionGroup['reason']; count: number; detail: string; meterId?: string };

/** A class, not a closure factory: one is made per message, and per-message closures cost (GC, keepNames). */
class Tally implements RejectionTally {
  private map: Map<string, Group> | undefined;
  add(reason: RejectionGroup['reason'], meterId: string | undefined, detail: string | (() => string)): void {
    const key = meterId === undefined ? reason : `${reason}\0${meterId}`;
    const g = this.map?.get(key);
    if (g) {
      g.count++;
      return;
    }
    const text = typeof detail === 'string' ? detail : detail();
    (this.map ??= new Map()).set(key, {
      reason,
      count: 1,
      detail: text.slice(0, 500),
      ...(meterId !== undefined && { meterId }),
    });
  }
  get size(): number {
    return this.map?.size ?? 0;
  }
  groups(): RejectionGroup[] {
    return this.map ? [...this.map.values()] : [];
  }
}

export const createTally = (): RejectionTally => new Tally();
