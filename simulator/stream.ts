/**
 * The whole run's message stream: every meter's stream merged in time order
 * (ties broken by meter order, then by each meter's own order). Pure: the
 * same plan gives the same stream, byte for byte, with no broker involved.
 */
import type { SimPlan } from './plan-types.ts';
import type { SimMessage } from './message.ts';
import { meterStream, type EnergySink } from './meter-stream.ts';

interface Head {
  msg: SimMessage;
  idx: number;
  it: Iterator<SimMessage>;
}

const before = (a: Head, b: Head): boolean => a.msg.atMs < b.msg.atMs || (a.msg.atMs === b.msg.atMs && a.idx < b.idx);

/** Binary min-heap of stream heads. */
class HeadHeap {
  readonly items: Head[] = [];
  push(h: Head): void {
    const a = this.items;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Head | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

export function* generateStream(plan: SimPlan, sink?: EnergySink): Generator<SimMessage> {
  const heap = new HeadHeap();
  plan.meters.forEach((meter, idx) => {
    const it = meterStream(plan, meter, sink);
    const r = it.next();
    if (!r.done) heap.push({ msg: r.value, idx, it });
  });
  for (;;) {
    const h = heap.pop();
    if (!h) return;
    yield h.msg;
    const r = h.it.next();
    if (!r.done) heap.push({ msg: r.value, idx: h.idx, it: h.it });
  }
}
