/**
 * CI of 2026-12-06 (stop 29): log-truth's service read with a user granted READ, and every query was refused
 * "requires READ on logtruth" for 60 s. The test's influxd had been given a port another test's server took
 * first: the start-up ping was answered by that other influxd, ours exited with "address already in use"
 * unseen, and the test made its users on, and pointed its service at, a server that was not its own.
 * Reproduction: something that answers /ping on the port before influxd starts.
 */
import { createServer, type Server } from 'node:http';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalInflux } from '../../src/store/local-influxd.ts';
import { holdsListener } from '../../src/util/listener-owner.ts';
import { eventually } from '../helpers/eventually.ts';

const listen = (srv: Server) =>
  new Promise<number>((res) => srv.listen(0, '127.0.0.1', () => res((srv.address() as { port: number }).port)));

describe('local influxd on a port another server holds', () => {
  let foreign: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise((r) => (foreign ? foreign.close(r) : r(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a /ping answered by another server on the port is not taken for our influxd: start fails, "address already in use"', async () => {
    let pings = 0;
    foreign = createServer((req, res) => {
      if (req.url?.startsWith('/ping')) pings++;
      res.writeHead(204, { 'X-Influxdb-Version': '1.6.7' }).end();
    });
    const port = await listen(foreign);
    dir = mkdtempSync(join(tmpdir(), 'kzm-influx-taken-'));
    const li = createLocalInflux({ dataDir: dir, port });
    const err = await li.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await li.stop();
    expect(err?.message).toMatch(/address already in use/);
    // the other server did answer: only the listener check told it apart
    expect(pings).toBeGreaterThan(0);
  }, 60_000);

  it('a configured influxd wrapper that starts influxd as its child (no exec) still starts: its process group holds the port', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-influx-wrap-'));
    const wrapper = join(dir, 'influxd-wrapper.sh');
    writeFileSync(wrapper, '#!/bin/sh\ninfluxd "$@"\necho "influxd ended" >&2\n'); // sh waits: influxd is its child
    chmodSync(wrapper, 0o755);
    const li = createLocalInflux({ dataDir: join(dir, 'data'), bin: wrapper });
    let url = '';
    try {
      await li.start();
      url = li.url;
      expect((await fetch(`${url}/ping`)).status).toBe(204);
    } finally {
      await li.stop();
    }
    // stop() signals the wrapper's process group: the influxd it started stops too (no orphan left listening)
    const down = await eventually(
      () =>
        fetch(`${url}/ping`).then(
          () => false,
          () => true,
        ),
      Boolean,
      15_000,
      'the wrapped influxd to stop with its wrapper',
    );
    expect(down).toBe(true);
  }, 60_000);

  it('holdsListener: true for the process holding 127.0.0.1:port, false for another process and a free port', async () => {
    foreign = createServer();
    const port = await listen(foreign);
    expect(holdsListener(process.pid, port)).toBe(true);
    expect(holdsListener(process.ppid, port)).not.toBe(true);
    const other = createServer();
    const freed = await listen(other);
    await new Promise((r) => other.close(r));
    expect(holdsListener(process.pid, freed)).toBe(false);
  });
});
