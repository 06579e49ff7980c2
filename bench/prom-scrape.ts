/** Reading a service's /metrics (Prometheus text format) in benchmarks: counters, histograms, memory. */

/** One scrape of a service's /metrics (Prometheus text format). */
export async function scrapeMetrics(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return res.text();
}

/** The value of an unlabelled sample (or the sum over its label sets) in a scrape; 0 when absent. */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Where the service's memory was at a scrape (prom-client's default metrics), MB: a hint at what RSS holds. */
export function memoryAt(text: string) {
  const mb = (name: string) => Math.round(metricValue(text, name) / 1048576);
  return {
    rssMb: mb('process_resident_memory_bytes'),
    heapTotalMb: mb('nodejs_heap_size_total_bytes'),
    heapUsedMb: mb('nodejs_heap_size_used_bytes'),
    externalMb: mb('nodejs_external_memory_bytes'),
  };
}

/** A Prometheus histogram: cumulative counts per upper bound (le, +Inf last). */
export interface HistogramSnapshot {
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly count: number;
  readonly sum: number;
}

export function histogramOf(text: string, name: string): HistogramSnapshot {
  const buckets: { le: number; count: number }[] = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm')))
    buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) });
  buckets.sort((a, b) => a.le - b.le);
  return { buckets, count: metricValue(text, `${name}_count`), sum: metricValue(text, `${name}_sum`) };
}

/** What was observed between two scrapes of the same histogram. */
export function histogramDiff(before: HistogramSnapshot, after: HistogramSnapshot): HistogramSnapshot {
  return {
    buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - (before.buckets[i]?.count ?? 0) })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The q-quantile of a histogram, interpolated linearly within its bucket (as Prometheus' histogram_quantile):
 * exact only to the bucket bounds. In the +Inf bucket: the highest finite bound, flagged `aboveLastBound`.
 */
export function bucketQuantile(h: HistogramSnapshot, q: number): { value: number; aboveLastBound: boolean } {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total === 0) return { value: NaN, aboveLastBound: false };
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { value: prevLe, aboveLastBound: true };
      const inBucket = b.count - prevCount;
      const value = inBucket > 0 ? prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket : b.le;
      return { value, aboveLastBound: false };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return { value: prevLe, aboveLastBound: true };
}

/** The p-th percentile (0..100) of exact samples (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
