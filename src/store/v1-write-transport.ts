import type { CommunicationObserver, SendOptions, Transport } from '@influxdata/influxdb-client';

const PRECISION_V1: Record<string, string> = { ns: 'n', us: 'u', ms: 'ms', s: 's' };

/**
 * Maps the client's `/api/v2/write?org=&bucket=db[/rp]&precision=` onto InfluxDB 1.x `/write?db=&rp=&precision=`.
 * Debian's influxdb 1.6 has no /api/v2/write (added in 1.8), so this keeps the same WriteApi working there.
 */
export function mapV2WritePathToV1(path: string): string {
  const q = new URL(path, 'http://x');
  if (q.pathname !== '/api/v2/write') return path;
  const bucket = q.searchParams.get('bucket') ?? '';
  const slash = bucket.indexOf('/');
  const db = slash >= 0 ? bucket.slice(0, slash) : bucket;
  const rp = slash >= 0 ? bucket.slice(slash + 1) : '';
  const out = new URLSearchParams({ db });
  if (rp) out.set('rp', rp);
  const precision = q.searchParams.get('precision');
  if (precision) out.set('precision', PRECISION_V1[precision] ?? precision);
  const consistency = q.searchParams.get('consistency');
  if (consistency) out.set('consistency', consistency);
  return `/write?${out.toString()}`;
}

export class V1WriteTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly authorization?: string,
  ) {}
  get chunkCombiner() {
    return this.inner.chunkCombiner;
  }

  private opts(options: SendOptions): SendOptions {
    const headers = { ...options.headers };
    // The client sends `Token <token>`; 1.x wants Basic auth (or none).
    delete headers.authorization;
    delete headers.Authorization;
    if (this.authorization) headers.authorization = this.authorization;
    return { ...options, headers };
  }

  send(path: string, body: string, options: SendOptions, callbacks?: Partial<CommunicationObserver<Uint8Array>>): void {
    this.inner.send(mapV2WritePathToV1(path), body, this.opts(options), callbacks);
  }
  request(
    path: string,
    body: unknown,
    options: SendOptions,
    responseStarted?: Parameters<Transport['request']>[3],
  ): Promise<unknown> {
    return this.inner.request(mapV2WritePathToV1(path), body, this.opts(options), responseStarted);
  }
  iterate(path: string, body: unknown, options: SendOptions): AsyncIterableIterator<Uint8Array> {
    return this.inner.iterate(mapV2WritePathToV1(path), body, this.opts(options));
  }
}
