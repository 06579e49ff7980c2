/**
 * Quick start as a new user runs it: `npm start` (kzmeter serve --simulate) with its own local InfluxDB.
 * The demo backfills the running quarter (a banner on the dashboard says so), then goes live; once the
 * backfill is done the overview's
 * metered energy dominates (the quarter is not charged at max load since its first day), the demo state
 * says so, and Ctrl-C stops everything. How long the backfill took is printed (it is in the log too).
 * Issue 25: a second `npm start` on the same data re-sent the whole quarter (109.8 s of backfill, the ledger
 * 503 for about 117 s). Started again, the demo now sends only what is not stored yet.
 */
import { endedDemoMonths } from '../../src/cli/demo-statement.ts';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { influxTargetOf } from '../../src/cli/local-influx.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { launchChromium } from '../helpers/dashboard-stack.ts';
import { SERVICE_NODE_OPTIONS } from '../helpers/service-process.ts';
import { eventually, queryRows } from '../helpers/service.ts';

const ROOT = join(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'kzm-quickstart-'));
let child: ChildProcess | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
  }
  // A SIGKILLed service cannot stop its influxd (own process group, for Ctrl-C): never leave it running.
  spawnSync('pkill', ['-KILL', '-f', join(dataDir, 'influxdb', 'influxd.conf')]);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Log lines (JSON) as they come, and a wait for the first one matching. */
function logOf(proc: ChildProcess) {
  const lines: Record<string, unknown>[] = [];
  const waiters: { test: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] =
    [];
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of waiters.filter((x) => x.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  return {
    lines,
    waitFor(msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
      const seen = lines.find((l) => l.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${msg}" within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          test: (l) => l.msg === msg,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}

/** `npm start` on dataDir: the process, its stderr so far and its log. */
function npmStart() {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--simulate', '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      KZM_DATA_DIR: dataDir,
      KZM_HTTP_PORT: '0',
      KZM_MQTT_EMBEDDED_PORT: '0',
      NODE_OPTIONS: SERVICE_NODE_OPTIONS,
    },
  });
  child = proc;
  return proc;
}

/** The InfluxDB the running `npm start` started (its address file and generated credentials in dataDir). */
const localInflux = (): InfluxTarget => influxTargetOf(loadConfig({ env: { KZM_DATA_DIR: dataDir } }))!;
const count = async (where = '') =>
  Number((await queryRows(localInflux(), `SELECT count("wh") AS n FROM "reading" ${where}`))[0]?.n ?? 0);

/** What the first start had stored just before Ctrl-C, and its backfill. */
let first: { stored: number; messages: number; token: string } | undefined;

describe('npm start', () => {
  it('backfills the quarter so far, then the overview is mostly metered', { timeout: 420_000 }, async () => {
    child = npmStart();
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    let raw = '';
    child.stdout!.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    const log = logOf(child);
    const urls = await log.waitFor('Open these in a browser or with curl.', 60_000);
    const base = String(urls.dashboard).replace(/\/$/, '');
    // The first start prints the generated admin's API token once (issue 11), on the terminal (stderr), never in
    // the JSON log on stdout (issue 21): the only set-up there is. Written before the line above, on its own pipe.
    const TOKEN = /\b(kzm_[a-f0-9]{12}_[A-Za-z0-9_-]{43})\b/;
    for (const until = Date.now() + 5000; !TOKEN.test(stderr) && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 50));
    const token = TOKEN.exec(stderr)?.[1];
    expect(token, 'the admin token printed on the terminal').toBeDefined();
    expect(raw, 'the admin token in the JSON log').not.toMatch(TOKEN);
    const fetch = (url: string) => globalThis.fetch(url, { headers: { authorization: `Bearer ${token}` } });

    // While it runs every page carries a banner with its progress (in Chromium).
    const during = (await (await fetch(`${base}/api/dashboard/demo`)).json()) as { phase: string; firstDay: string };
    expect(during.phase).toBe('backfill');
    expect(during.firstDay).toMatch(/^\d{4}-(01|04|07|10)-01$/);
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${base}/periods`);
    // not logged in: the login page, then back to /periods as admin with the printed token
    await page.locator('input[name="username"]').fill('admin');
    await page.locator('input[name="password"]').fill(token!);
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${base}/periods`);
    const banner = page.getByTestId('demo-banner');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.innerText()).toMatch(
      new RegExp(`^Demo: loading the quarter's readings since ${during.firstDay} at full speed \\(\\d+ %`),
    );
    const done = await log.waitFor(
      'Demo backfill of the quarter so far done; meters now report in real time.',
      330_000,
    );
    console.log(`quarter-to-date backfill: ${String(done.backfillS)} s for ${String(done.messages)} messages`);

    const demo = (await (await fetch(`${base}/api/dashboard/demo`)).json()) as {
      phase: string;
      backfillS: number;
      from: string;
      liveFrom: string;
    };
    expect(demo.phase).toBe('live');
    await page.getByText(/^Demo: the quarter so far is loaded \(in [\d.]+ s\); meters now report live\.$/).waitFor();
    await browser.close();
    expect(demo.backfillS).toBe(done.backfillS);
    const res = await fetch(`${base}/api/dashboard/overview`);
    expect(res.status).toBe(200);
    const v = (await res.json()) as {
      period: { from: string };
      totals: { meteredWh: number; substitutedWh: number };
      unreportedNotices: unknown[];
    };
    expect(v.period.from).toBe(demo.from);
    // Every meter reported from the quarter's first day: metered energy is at least 99 % of the total.
    expect(v.totals.meteredWh).toBeGreaterThan(0);
    expect(v.totals.substitutedWh * 100).toBeLessThan(v.totals.meteredWh + v.totals.substitutedWh);
    expect(v.unreportedNotices).toEqual([]);

    // issue 24: the months of the quarter that ended carry the supplier's statement the demo imported (the rigs'
    // true energy and 8 % auxiliary load), so the reconciliation shows invoices inside the default band.
    const ended = endedDemoMonths(Date.parse(demo.from), Date.now(), 'Asia/Almaty');
    if (ended.months.length) {
      const imported = await log.waitFor(
        "Demo: the supplier's statement for the ended months imported (the reconciliation on the overview and periods page).",
        30_000,
      );
      expect(imported.months).toEqual(ended.months);
      const [y, m] = ended.months[0]!.split('-').map(Number) as [number, number];
      const quarter = `${y}-Q${Math.ceil(m / 3)}`;
      const rec = (await (await fetch(`${base}/api/reconciliation?period=${quarter}`)).json()) as {
        rows: { month: string; invoicedKwh: string | null; differencePct: number | null; status: string }[];
      };
      const invoiced = rec.rows.filter((r) => r.invoicedKwh !== null);
      expect(new Set(invoiced.map((r) => r.month))).toEqual(new Set(ended.months));
      // Metered + substituted is close to the rigs' true energy: the difference is about the 8 % auxiliary share.
      const inBand = invoiced.filter((r) => r.status === 'within-band').length;
      console.log(`demo reconciliation: ${inBand} of ${invoiced.length} site-months within band`);
      expect(inBand).toBeGreaterThan(invoiced.length / 2);
    }

    first = { stored: await count(), messages: Number(done.messages), token: token! };
    // The figure README's quick start quotes (readings stored by the first start, not messages: one carries up to 60).
    console.log(`first start: ${first.stored} readings stored from ${first.messages} messages`);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
    expect(code, stderr).toBe(0);
    expect(log.lines.some((l) => l.msg === 'Local InfluxDB stopped.')).toBe(true);
  });

  it('started again on the same data, sends only what is not stored yet (issue 25)', { timeout: 300_000 }, async () => {
    expect(first, 'the first start ran').toBeDefined();
    const startMs = Date.now();
    const proc = npmStart();
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const log = logOf(proc);
    const urls = await log.waitFor('Open these in a browser or with curl.', 60_000);
    const base = String(urls.dashboard).replace(/\/$/, '');
    const auth = { headers: { authorization: `Bearer ${first!.token}` } };
    const resumed = await log.waitFor(
      'Demo resumes on what is stored: each meter sends only readings newer than its newest stored one.',
      5_000,
    );
    expect(resumed.meters).toBeGreaterThan(10);
    // The time from /health ok to the ledger's first answer for the running quarter (printed, not asserted).
    await eventually(
      async () => (await fetch(`${base}/health`)).status,
      (status) => status === 200,
      30_000,
      '/health 200 after the restart',
    );
    const healthOkMs = Date.now();
    const ledger = await globalThis.fetch(`${base}/api/dashboard/overview`, auth);
    expect(ledger.status).toBe(200);
    const answeredS = (Date.now() - healthOkMs) / 1000;
    const done = await log.waitFor(
      'Demo backfill of the quarter so far done; meters now report in real time.',
      120_000,
    );
    console.log(
      `second start: overview answered ${answeredS.toFixed(1)} s after /health ok; backfill ${String(done.backfillS)} s ` +
        `for ${String(done.messages)} messages (first start: ${first!.messages})`,
    );
    // Nothing the first start stored was sent again: a re-sent reading is rewritten with this start's arrival time.
    expect(await count(`WHERE "rx_ms" < ${startMs}`)).toBeGreaterThanOrEqual(first!.stored);
    const cuts = await queryRows(
      localInflux(),
      `SELECT last("wh") AS "wh" FROM "reading" WHERE "rx_ms" < ${startMs} GROUP BY "meter"`, // time: the last one's
    );
    for (const c of cuts)
      expect(
        await count(`WHERE "meter" = '${String(c.meter)}' AND "rx_ms" >= ${startMs} AND time <= ${Number(c.time)}ms`),
      ).toBe(0);
    expect(Number(done.messages)).toBeLessThan(first!.messages / 10);
    // ... and the quarter stays whole: no gap where the first start stopped.
    const v = (await (await globalThis.fetch(`${base}/api/dashboard/overview`, auth)).json()) as {
      totals: { meteredWh: number; substitutedWh: number };
    };
    expect(v.totals.substitutedWh * 100).toBeLessThan(v.totals.meteredWh + v.totals.substitutedWh);
    proc.kill('SIGINT');
    expect(await new Promise<number | null>((r) => proc.once('exit', (c) => r(c))), stderr).toBe(0);
  });
});
