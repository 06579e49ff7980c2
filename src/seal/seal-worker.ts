/**
 * The service's sealer on the derived-data pass loop (issue 24): every `seal.intervalMs` it seals the days that
 * ended `seal.lateWindowH` ago; a reading stored for a day already sealed marks that day, and the next pass
 * (a second later) amends it: a new version naming the old one and what changed, never a silent re-seal.
 * Marks live in memory: a service stopped between storing a late reading and amending its day leaves a seal
 * that `kzmeter verify` reports (loud, not silent) until `kzmeter seal` amends it.
 */
import type { Logger } from 'pino';
import { formatLocalDate, localDateOf } from '../fees/zoned-time.ts';
import type { AcceptedReading, StoredReadingsListener } from '../model/reading.ts';
import type { Registry } from '../registry/types.ts';
import { createPassLoop, type PassLoop } from '../derived/pass-loop.ts';
import type { SealStore } from './seal-store.ts';
import type { Sealer } from './sealer.ts';

export interface SealWorkerOptions {
  readonly sealer: Sealer;
  readonly store: SealStore;
  readonly registry: Registry;
  readonly lateWindowMs: number;
  readonly intervalMs: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface SealWorker extends StoredReadingsListener {
  start(): void;
  stop(timeoutMs: number): Promise<void>;
  /** Run a pass now (amendments first) and wait for it. */
  flush(): Promise<void>;
  /** Days waiting for their amendment, as `site|day`. */
  pending(): string[];
  readonly loop: PassLoop;
}

/** Site-days a pass seals at most (each a read of all the site's meters). */
const MAX_DAYS_PER_PASS = 50;

export function createSealWorker(o: SealWorkerOptions): SealWorker {
  const now = o.now ?? Date.now;
  const pending = new Set<string>();
  const loop = createPassLoop({
    name: 'seals',
    log: o.log,
    intervalMs: o.intervalMs,
    maxSize: MAX_DAYS_PER_PASS,
    async run(size) {
      // A pass kicked by late readings only amends (new days wait for the scheduled pass).
      if (pending.size) {
        for (const key of [...pending]) {
          const [site, day] = key.split('|') as [string, string];
          await o.sealer.amend(site, day);
          pending.delete(key);
        }
        return 'later';
      }
      const r = await o.sealer.sealDue({ endedByMs: now() - o.lateWindowMs, maxDays: size });
      return r.more || pending.size ? 'now' : 'later';
    },
  });

  function stored(readings: readonly AcceptedReading[]): void {
    let marked = false;
    for (const r of readings) {
      const zone = o.registry.siteById.get(r.siteId)?.timeZone;
      const last = zone && o.store.lastDay(r.siteId);
      if (!zone || !last) continue;
      const day = formatLocalDate(localDateOf(r.tsMs, zone));
      if (day > last) continue;
      const key = `${r.siteId}|${day}`;
      if (!pending.has(key) && o.store.versions(r.siteId, day).length) {
        pending.add(key);
        marked = true;
      }
    }
    if (marked) loop.kick(1_000);
  }

  return {
    loop,
    stored,
    start() {
      loop.start();
      loop.kick();
    },
    stop: (ms) => loop.stop(ms),
    flush: () => loop.runNow(),
    pending: () => [...pending],
  };
}
