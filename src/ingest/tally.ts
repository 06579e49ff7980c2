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
  add(reason: RejectReason, meterId: string | undefined, detail: string | (() => string)): void;
  readonly size: number;
  groups(): RejectionGroup[];
}

export function createTally(): RejectionTally {
  const groups = new Map<string, { reason: RejectReason; count: number; detail: string; meterId?: string }>();
  return {
    add(reason, meterId, detail) {
      const key = meterId === undefined ? reason : `${reason}\0${meterId}`;
      const g = groups.get(key);
      if (g) {
        g.count++;
        return;
      }
      const text = typeof detail === 'string' ? detail : detail();
      groups.set(key, { reason, count: 1, detail: text.slice(0, 500), ...(meterId !== undefined && { meterId }) });
    },
    get size() {
      return groups.size;
    },
    groups: () => [...groups.values()],
  };
}
