/**
 * Issue 26: an InfluxDB URL that does not answer was 31 s of silence, then exit 1. While waiting the service
 * now says what it waits for (at once, then every few seconds), and the final error says why.
 */
import { createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForInflux } from '../../../src/store/setup.ts';
import type { InfluxTarget } from '../../../src/store/influx-target.ts';

// A server that takes the connection and never answers: what a firewalled or hung InfluxDB looks like.
const sockets: Socket[] = [];
const silent = createServer((s) => void sockets.push(s));
let url = '';
beforeAll(async () => {
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe('waiting for InfluxDB (issue 26)', () => {
  it('says what it waits for while it waits, then fails naming the URL', async () => {
    const events: string[] = [];
    const lines = new Writable({
      write(chunk, _e, done) {
        const o = JSON.parse(String(chunk)) as { msg: string; url: string; waitedS: number };
        events.push(`log: ${o.msg} ${o.url}`);
        done();
      },
    });
    const log = pino({ level: 'info' }, lines);
    const target = { url } as InfluxTarget;
    await waitForInflux(target, 2500, { log, reportEveryMs: 1 }).catch((e: Error) =>
      events.push(`error: ${e.message}`),
    );
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toBe(
      `log: Waiting for InfluxDB to answer GET /ping (check KZM_INFLUX_URL and that the server runs). ${url}`,
    );
    expect(events.at(-1)).toMatch(new RegExp(`^error: InfluxDB at ${url} did not answer /ping within 2500 ms`));
  });
});
