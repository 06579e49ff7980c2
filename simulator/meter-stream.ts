/**
 * The message stream of one meter: its physics stepped tick by tick, one
 * reading per reporting interval, shaped by the failures planned for it.
 * Pure and deterministic: plan + seed in, messages out, in time order.
 */
import type { FailureEvent, SimMeter, SimPlan } from './plan-types.ts';
import type { PublishMessage, PublishedReading, SimMessage } from './message.ts';
import { readingTopic } from './message.ts';
import { encoderFor, type SimReadingOut } from './formats.ts';
import { createMeterPhysics } from './meter-physics.ts';
import { streamFor } from './prng.ts';
import { garbagePayload, pickGarbage } from './garbage.ts';
import { isoWithOffset } from './local-time.ts';

export interface EnergySink {
  onEnergy(meterId: string, fromMs: number, toMs: number, joules: number): void;
  onHashrate?(meterId: string, tMs: number, ths: number): void;
}

/** A small queue kept sorted by (atMs, seq): delayed deliveries wait here. */
class Pending {
  private items: { m: SimMessage; seq: number }[] = [];
  private seq = 0;
  push(m: SimMessage): void {
    const item = { m, seq: this.seq++ };
    let i = this.items.length;
    while (i > 0 && this.items[i - 1]!.m.atMs > m.atMs) i--;
    this.items.splice(i, 0, item);
  }
  *drainUntil(tMs: number): Generator<SimMessage> {
    while (this.items.length && this.items[0]!.m.atMs <= tMs) yield this.items.shift()!.m;
  }
}

const active = (fs: readonly FailureEvent[], kind: FailureEvent['kind'], t: number): FailureEvent | undefined =>
  fs.find((f) => f.kind === kind && t >= f.fromMs && t < f.toMs);
const at = (fs: readonly FailureEvent[], kind: FailureEvent['kind'], t: number): FailureEvent[] =>
  fs.filter((f) => f.kind === kind && f.fromMs === t);

export function formatTs(ms: number, format: SimPlan['tsFormat'], timeZone: string): string | number {
  if (format === 'epoch-ms') return ms;
  if (format === 'iso-local') return isoWithOffset(ms, timeZone);
  return new Date(ms).toISOString();
}

/**
 * A resumed run (plan.resumeAfterMs): which of this meter's messages are sent. Nothing at or before the cut;
 * a link drop before it is not repeated, so neither is its reconnect.
 */
function resumeFilter(cutMs: number) {
  const droppedBefore = new Set<number>();
  return (m: SimMessage): boolean => {
    if (m.atMs <= cutMs) {
      if (m.type === 'drop') droppedBefore.add(m.failureId);
      return false;
    }
    return !(m.type === 'reconnect' && droppedBefore.has(m.failureId));
  };
}

/** A resumed run pauses (IdleMark) after each simulated day it runs through without sending. */
const IDLE_EVERY_MS = 86_400_000;

export function* meterStream(plan: SimPlan, meter: SimMeter, sink?: EnergySink): Generator<SimMessage> {
  const fs = plan.failures.filter((f) => f.meterId === meter.id);
  const I = meter.intervalMs;
  const first = plan.startMs + Math.max(0, Math.ceil((meter.commissionedMs - plan.startMs) / I)) * I;
  const cut = plan.resumeAfterMs?.get(meter.id) ?? -Infinity;
  const send = resumeFilter(cut);
  // Resumed: the meter says it is online again with its first reading after the cut.
  const firstSent = cut < first ? first : first + (Math.floor((cut - first) / I) + 1) * I;
  const physics = createMeterPhysics(meter, first, plan.seed, plan.rigBehaviour, plan.curtailment);
  const prng = streamFor(plan.seed, `delivery:${meter.id}`);
  const pending = new Pending();
  const onStep = sink ? (a: number, b: number, j: number) => sink.onEnergy(meter.id, a, b, j) : undefined;
  const base = { type: 'publish' as const, meterId: meter.id, qos: 1 as const };
  const enc = encoderFor(plan.formats?.[meter.id] ?? 'native', meter.id, meter.timeZone);
  const native = encoderFor('native', meter.id, meter.timeZone);
  const status = (atMs: number): PublishMessage => ({
    ...base,
    atMs,
    ...enc.status('online', atMs),
    retain: true,
    kind: 'status',
  });
  const published = (r: SimReadingOut): PublishedReading => ({
    tsMs: r.tsMs,
    registerWh: r.wh,
    status: enc.carriesFault ? r.status : 'ok',
  });

  pending.push(status(firstSent));
  for (const f of fs.filter((x) => x.kind === 'outage-will')) {
    if (enc.timedStatus) {
      // A gateway lost its meter (or its own uplink) and, once back, forwards the outage with its times.
      pending.push({
        ...base,
        atMs: f.toMs,
        ...enc.forwardedOutage(f.fromMs, f.toMs),
        retain: false,
        kind: 'status',
        failure: 'outage-will',
        failureId: f.id,
        offlineAtMs: f.fromMs,
      });
      continue;
    }
    pending.push({ type: 'drop', atMs: f.fromMs, meterId: meter.id, failureId: f.id });
    pending.push({ type: 'reconnect', atMs: f.toMs, meterId: meter.id, failureId: f.id });
    pending.push({ ...status(f.toMs), failure: 'outage-will', failureId: f.id });
  }
  let buffered: SimReadingOut[] = [];
  let lastIdle = first;
  const end = plan.endMs;
  for (let t = first; end === undefined || t <= end; t += I) {
    physics.advanceTo(t, onStep);
    sink?.onHashrate?.(meter.id, t, physics.hashrateThs);
    for (const f of at(fs, 'reset', t)) physics.replaceRegister(f.newRegisterWh ?? 0);
    const fault = active(fs, 'fault', t);
    physics.setFrozen(fault !== undefined);

    const registerWh = Math.floor(physics.registerJ / 3600);
    const spike = at(fs, 'spike', t)[0];
    const skew = active(fs, 'clock-skew', t);
    const tsMs = t + (skew?.skewMs ?? 0);
    const wh = registerWh + (spike?.spikeWh ?? 0);
    const st = fault ? 'fault' : 'ok';
    const outage = active(fs, 'outage', t) ?? active(fs, 'outage-will', t);
    const saf = active(fs, 'store-and-forward', t);
    // Up to a resumed run's cut the meter only keeps its physics and its random draws in step (a reading
    // held by a store-and-forward gateway is still flushed after the cut: it was never sent).
    if (tsMs <= cut && !saf && !fs.some((f) => f.kind === 'store-and-forward' && f.toMs === t)) {
      if (!outage) {
        if (active(fs, 'out-of-order', t)) prng.chance(active(fs, 'out-of-order', t)!.probability ?? 0.3);
        if (active(fs, 'duplicate', t)) prng.chance(active(fs, 'duplicate', t)!.probability ?? 0.5);
      }
      at(fs, 'garbage', t).forEach(() => pickGarbage(prng));
      for (const m of pending.drainUntil(t)) if (send(m)) yield m;
      // A day of physics at a time: a quarter of it for every meter is seconds of CPU.
      if (t - lastIdle >= IDLE_EVERY_MS) {
        lastIdle = t;
        yield { type: 'idle', atMs: t, meterId: meter.id };
      }
      continue;
    }
    const ts = formatTs(tsMs, plan.tsFormat, meter.timeZone);
    // Demand over the last step; nothing to report before the first step.
    const kw = plan.publishKw && t > first ? Math.round(physics.powerW) / 1000 : undefined;
    const out: SimReadingOut = { tsMs, ts, wh, kw, status: st };
    const reading = published(out);
    const shaping = fault ?? spike ?? skew;

    // Store-and-forward ending now: the gateway flushes what it held, as one array, before the live reading.
    for (const f of fs.filter((x) => x.kind === 'store-and-forward' && x.toMs === t)) {
      const msgs = enc.flush(buffered);
      msgs.forEach((m, k) =>
        pending.push({
          ...base,
          atMs: t,
          ...m,
          retain: false,
          kind: 'flush',
          failure: 'store-and-forward',
          failureId: f.id,
          readings: msgs.length === 1 ? buffered.map(published) : [published(buffered[k]!)],
        }),
      );
      buffered = [];
    }
    if (saf) buffered.push(out);
    else if (!outage) {
      const msg: PublishMessage = {
        ...base,
        atMs: t,
        ...enc.reading(out),
        retain: false,
        kind: 'reading',
        ...(shaping && { failure: shaping.kind, failureId: shaping.id }),
        readings: [reading],
      };
      const late = active(fs, 'out-of-order', t);
      const dup = active(fs, 'duplicate', t);
      const isLate = late !== undefined && prng.chance(late.probability ?? 0.3);
      const isDup = dup !== undefined && prng.chance(dup.probability ?? 0.5);
      if (isLate)
        pending.push({ ...msg, atMs: t + (late.delayIntervals ?? 3) * I, failure: 'out-of-order', failureId: late.id });
      else pending.push(msg);
      if (isDup)
        pending.push({ ...msg, atMs: t + Math.min(1000, Math.floor(I / 2)), failure: 'duplicate', failureId: dup.id });
    }
    for (const f of at(fs, 'garbage', t)) {
      const payload = garbagePayload(pickGarbage(prng), String(ts), registerWh / 1000);
      pending.push({
        ...base,
        atMs: t,
        topic: enc.readingTopic,
        payload,
        retain: false,
        kind: 'garbage',
        failure: 'garbage',
        failureId: f.id,
      });
    }
    for (const f of at(fs, 'wrong-topic', t)) {
      // This meter's client writes its own reading under another meter's id.
      pending.push({
        ...base,
        atMs: t,
        topic: readingTopic(f.victim!),
        payload: native.reading(out).payload,
        retain: false,
        kind: 'wrong-topic',
        failure: 'wrong-topic',
        failureId: f.id,
        readings: [{ tsMs, registerWh: wh, status: st }],
      });
    }
    for (const m of pending.drainUntil(t)) if (send(m)) yield m;
  }
  // Deliveries planned after the end of the run are never made (the run is over).
  if (end !== undefined) for (const m of pending.drainUntil(end)) if (send(m)) yield m;
}
