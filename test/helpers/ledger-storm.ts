/**
 * Many readers of one ledger at once (issue 22): `n` concurrent GETs of one URL, each answer's status, size, time
 * and (optionally) bytes. Shared by the readers test (behaviour) and `npm run bench ledger` (timing). node:http
 * with one connection per reader: fetch's web streams cost this process more per answer byte than the service
 * spends sending it (200 x 2 MB), which measured the client, not the service.
 */
import { Agent, get } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface StormAnswer {
  /** HTTP status; 0 when the request failed (connection refused or reset: the service died). */
  readonly status: number;
  /** Bytes on the wire (gzipped when the service gzipped it). */
  readonly bytes: number;
  /** The body, decoded, when asked for (`keepBodies`). */
  readonly body?: Buffer;
  /** Until the last byte of the answer arrived. */
  readonly ms: number;
  readonly error?: string;
}

function one(url: string, agent: Agent, keepBody: boolean, gzip: boolean): Promise<StormAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const headers = gzip ? { 'accept-encoding': 'gzip' } : {};
    const req = get(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          ...(keepBody && { body: decode(Buffer.concat(chunks), res.headers['content-encoding']) }),
          ms: performance.now() - started,
        }),
      );
      res.on('error', (err) => resolve({ status: 0, bytes, ms: performance.now() - started, error: err.message }));
    });
    req.on('error', (err) => resolve({ status: 0, bytes: 0, ms: performance.now() - started, error: err.message }));
  });
}

const decode = (body: Buffer, encoding: string | undefined) => (encoding === 'gzip' ? gunzipSync(body) : body);

/** `gzip` (default true): ask for gzip as browsers, curl --compressed and fetch do. */
export async function ledgerStorm(
  url: string,
  n: number,
  opts: { keepBodies?: boolean; gzip?: boolean } = {},
): Promise<{ answers: StormAnswer[]; wallMs: number }> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const t0 = performance.now();
  try {
    const answers = await Promise.all(
      Array.from({ length: n }, () => one(url, agent, opts.keepBodies ?? false, opts.gzip ?? true)),
    );
    return { answers, wallMs: performance.now() - t0 };
  } finally {
    agent.destroy();
  }
}

/** The running quarter at the synthetic meters' sites (Asia/Almaty, UTC+5 since 2024-03-01), e.g. 2026-Q4. */
export function runningQuarterLabel(nowMs = Date.now()): string {
  const local = new Date(nowMs + 5 * 3_600_000);
  return `${local.getUTCFullYear()}-Q${Math.floor(local.getUTCMonth() / 3) + 1}`;
}
