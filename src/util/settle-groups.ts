/**
 * Items that wait on the same promise, handled together once it settles (issue 27): the batch writer hands every
 * message of one write the same promise, so what follows a write (listeners, PUBACKs) costs one reaction per write
 * instead of a promise reaction and closures per message. Items are handed over in the order they were added.
 * A promise that settled already and is handed out again starts a new group (handled in a microtask).
 */
export interface SettleGroups<T> {
  add(promise: Promise<unknown>, item: T): void;
  /** Forget the current group: the next add() starts a new one (its items still get their callback). */
  reset(): void;
}

export function createSettleGroups<T>(
  onResolved: (items: readonly T[]) => void,
  onRejected?: (items: readonly T[], err: unknown) => void,
): SettleGroups<T> {
  let current: { promise: Promise<unknown>; items: T[]; settled: boolean } | undefined;
  return {
    add(promise, item) {
      if (current?.promise !== promise || current.settled) {
        const g = { promise, items: [] as T[], settled: false };
        current = g;
        promise.then(
          () => {
            g.settled = true;
            onResolved(g.items);
          },
          (err: unknown) => {
            g.settled = true; // a rejected write: by default its items get nothing (PUBACKs never sent: redelivered)
            onRejected?.(g.items, err);
          },
        );
      }
      current.items.push(item);
    },
    reset() {
      current = undefined;
    },
  };
}
