/**
 * Server-sent event streams (text/event-stream on fastify's raw reply): open, send, broadcast by topic,
 * heartbeat comments so proxies keep idle streams, and close-all for app.close() (an open stream would
 * otherwise hold the HTTP server open for ever). A stream leaves the hub when its client goes away.
 */
import type { ServerResponse } from 'node:http';

export interface SseClient<T extends string> {
  readonly topics: ReadonlySet<T>;
  send(event: string, data: unknown): void;
}

export interface SseHub<T extends string> {
  open(res: ServerResponse, topics: readonly T[]): SseClient<T>;
  broadcast(topic: T, event: string, data: unknown): void;
  /** Open streams, or those subscribed to `topic`. */
  count(topic?: T): number;
  closeAll(): void;
}

const frame = (event: string, json: string): string => `event: ${event}\ndata: ${json}\n\n`;

export function createSseHub<T extends string>(
  opts: { heartbeatMs?: number; onChange?: (count: number) => void } = {},
): SseHub<T> {
  const clients = new Set<{ res: ServerResponse; client: SseClient<T> }>();
  let heartbeat: NodeJS.Timeout | undefined;
  const changed = () => {
    if (clients.size > 0 && !heartbeat) {
      heartbeat = setInterval(() => {
        for (const c of clients) c.res.write(': keep-alive\n\n');
      }, opts.heartbeatMs ?? 15_000);
      heartbeat.unref();
    } else if (clients.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
    opts.onChange?.(clients.size);
  };
  return {
    open(res, topics) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      // A late answer (an overview computed while the browser left) must not write to an ended stream.
      const send = (event: string, data: unknown) => {
        if (!res.writableEnded && !res.destroyed) res.write(frame(event, JSON.stringify(data)));
      };
      const client: SseClient<T> = { topics: new Set(topics), send };
      const entry = { res, client };
      clients.add(entry);
      res.on('close', () => {
        if (clients.delete(entry)) changed();
      });
      changed();
      return client;
    },
    broadcast(topic, event, data) {
      let text: string | undefined;
      for (const c of clients)
        if (c.client.topics.has(topic)) c.res.write((text ??= frame(event, JSON.stringify(data))));
    },
    count(topic) {
      if (topic === undefined) return clients.size;
      let n = 0;
      for (const c of clients) if (c.client.topics.has(topic)) n++;
      return n;
    },
    closeAll() {
      const all = [...clients];
      clients.clear();
      for (const c of all) c.res.end();
      changed();
    },
  };
}
