/**
 * The service's sealer on the derived-data pass loop (issue 24): every `seal.intervalMs` it seals the days that
 * ended `seal.lateWindowH` ago; a reading stored for a day already sealed marks that day, and the next pass
 * (a second later) amends it: a new version naming the old one and what changed, never a silent re-seal.
 * Marks live in memory: a service stopped between storing a late reading and amending its day leaves a seal
 * that `kzmeter verify` reports (loud, not silent) until `kzmeter seal` amends it.
 */
import type { Logger } from 'pino';
import { addDays, formatLocalDate, localDateOf, parseLocalDate, zonedMidnightMs } from '../fees/zoned-time.ts';
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
const HOUR_MS = 3_600_000;
/**
 * Stored readings are noted as (site, UTC hour) and compared with the seals at most this often (issue 27: asking
 * the store for every stored reading was a stat() each, 21% of the service's CPU in a backlog drain). Nothing is
 * skipped: every noted hour is checked against the seals as they are at the check, which is after the readings
 * were stored, as before.
 */
const CHECK_EVERY_MS = 250;

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

  /** UTC hours (ms / HOUR_MS) each site stored readings in since the last check. */
  const hoursSeen = new Map<string, Set<number>>();
  let checkedAtMs = -Infinity;
  let checkTimer: NodeJS.Timeout | undefined;

  /** Mark the sealed days the noted hours touch (an hour can touch two local days in a :30 or :45 zone). */
  function check(): void {
    clearTimeout(checkTimer);
    checkTimer = undefined;
    checkedAtMs = now();
    let marked = false;
    for (const [siteId, hours] of hoursSeen) {
      const zone = o.registry.siteById.get(siteId)?.timeZone;
      const last = zone && o.store.lastDay(siteId);
      const date = last ? parseLocalDate(last) : undefined;
      if (!zone || !date) continue;
      const untilMs = zonedMidnightMs(addDays(date, 1), zone);
      for (const h of hours) {
        if (h * HOUR_MS >= untilMs) continue;
        for (const atMs of [h * HOUR_MS, (h + 1) * HOUR_MS - 1]) {
          const key = `${siteId}|${formatLocalDate(localDateOf(atMs, zone))}`;
          if (atMs >= untilMs || pending.has(key)) continue;
          if (o.store.versions(siteId, key.slice(siteId.length + 1)).length) {
            pending.add(key);
            marked = true;
          }
        }
      }
    }
    hoursSeen.clear();
    if (marked) loop.kick(1_000);
  }

  function stored(readings: readonly AcceptedReading[]): void {
    for (const r of readings) {
      let hours = hoursSeen.get(r.siteId);
      if (!hours) hoursSeen.set(r.siteId, (hours = new Set()));
      hours.add(Math.floor(r.tsMs / HOUR_MS));
    }
    if (!hoursSeen.size) return;
    if (now() - checkedAtMs >= CHECK_EVERY_MS) check();
    else checkTimer ??= setTimeout(check, CHECK_EVERY_MS).unref();
  }

  return {
    loop,
    stored,
    start() {
      loop.start();
      loop.kick();
    },
    stop(ms) {
      clearTimeout(checkTimer);
      return loop.stop(ms);
    },
    flush() {
      check();
      return loop.runNow();
    },
    pending: () => [...pending],
  };
}
