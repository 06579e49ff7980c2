/**
 * The web dashboard on real servers for browser tests and the screenshot script: a real influxd, the
 * service (embedded broker, HTTP) with the dashboard, the simulator publishing over MQTT, and Debian's
 * headless Chromium driven by playwright-core. Every page is guarded: console errors, page errors and
 * requests to anything but loopback are collected (and such requests aborted: the dashboard must work
 * offline), so a test can fail on them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parseScenario, runSimulation, type ScenarioInput, type SimulationSummary } from '../../simulator/index.ts';
import { localDateOf, quarterAt } from '../../src/fees/index.ts';
import { formatLocalDate } from '../../src/fees/zoned-time.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { Registry } from '../../src/registry/types.ts';
import { startInflux, type TestInflux } from './influx.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { DEVICES_DIR, startService, writerDrained } from './service.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(import.meta.dirname, '../../test-artifacts/screenshots');
const ZONE = 'Asia/Almaty';
const HOUR_MS = 3_600_000;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium, or bash scripts/ensure-system-deps.sh chromium)`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The example registry with some meters' reporting intervals changed (to match a scenario's, or short for live tests). */
export function registryWithIntervals(intervals: Readonly<Record<string, number>>): Registry {
  const r = loadRegistry(DEVICES_DIR);
  const meters = r.meters.map((m) =>
    intervals[m.id] !== undefined ? { ...m, reportingIntervalS: intervals[m.id]! } : m,
  );
  return { ...r, meters, meterById: new Map(meters.map((m) => [m.id, m])) };
}

/** The quarter before the one running at `nowMs` (Asia/Almaty): label and bounds. */
export function previousQuarter(nowMs: number): { label: string; fromMs: number; toMs: number } {
  return quarterAt(quarterAt(nowMs, ZONE).fromMs - 1, ZONE);
}

export const BACKFILL_METERS = ['ekb-1-m01', 'kpg-2-m03', 'ast-3-m02'] as const;
export const BACKFILL_INTERVAL_S = 300;

/**
 * The last two days of the previous quarter for three meters at 5-minute readings (~1,700 messages):
 * a silent outage, a last will, a fault, a spike and garbage. The rest of that quarter has no readings
 * and is substituted.
 */
export function recentBackfillScenario(nowMs: number): ScenarioInput {
  const q = previousQuarter(nowMs);
  const startMs = q.toMs - 48 * HOUR_MS;
  const at = (h: number) => new Date(startMs + h * HOUR_MS).toISOString();
  return {
    name: 'dashboard-backfill',
    seed: 6,
    meters: [...BACKFILL_METERS],
    timeZone: ZONE,
    start: formatLocalDate(localDateOf(startMs, ZONE)),
    end: formatLocalDate(localDateOf(q.toMs, ZONE)),
    reportingIntervalS: BACKFILL_INTERVAL_S,
    tsFormat: 'iso-local',
    failures: [
      { kind: 'outage', meter: 'ekb-1-m01', at: at(6), durationMin: 60 },
      { kind: 'outage-will', meter: 'ast-3-m02', at: at(14), durationMin: 45 },
      { kind: 'fault', meter: 'ast-3-m02', at: at(27), durationMin: 60 },
      { kind: 'spike', meter: 'kpg-2-m03', at: at(36) },
      { kind: 'garbage', meter: 'ekb-1-m01', count: 3 },
    ],
  };
}

export interface GuardedPage {
  readonly page: Page;
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
  /** Requests to hosts other than loopback (aborted). */
  readonly external: string[];
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

async function guard(context: BrowserContext): Promise<GuardedPage> {
  const errors: string[] = [];
  const external: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOOPBACK.test(url.hostname)) return route.continue();
    external.push(url.href);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return { page, errors, external };
}

export interface DashboardStack {
  readonly influx: TestInflux;
  readonly svc: Awaited<ReturnType<typeof startService>>;
  readonly browser: Browser;
  readonly registry: Registry;
  url(path: string): string;
  /** A new page in its own context (1200 x 800), guarded. */
  page(): Promise<GuardedPage>;
  /** Runs a scenario as a backfill and waits until the writer has drained. */
  backfill(scenario: ScenarioInput): Promise<SimulationSummary>;
  /** Starts a scenario on the real clock; stop() aborts it (live runs announce offline when they stop). */
  live(scenario: ScenarioInput): { stop(): Promise<SimulationSummary> };
  /** Saves a PNG under test-artifacts/screenshots/. */
  screenshot(page: Page, name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function startDashboardStack(
  opts: { intervals?: Readonly<Record<string, number>>; service?: ConfigInput } = {},
): Promise<DashboardStack> {
  const registry = registryWithIntervals(
    opts.intervals ?? Object.fromEntries(BACKFILL_METERS.map((m) => [m, BACKFILL_INTERVAL_S])),
  );
  const influx = await startInflux();
  const svc = await startService(await influx.database(), opts.service ?? {}, registry);
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const runs: { abort: AbortController; done: Promise<SimulationSummary> }[] = [];
  const out = mkdtempSync(join(tmpdir(), 'kzm-dash-sim-'));
  let seq = 0;
  const simulate = (scenario: ScenarioInput, clock: 'backfill' | 'real', signal?: AbortSignal) =>
    runSimulation({
      scenario: parseScenario(scenario, scenario.name),
      brokerUrl: svc.brokerUrl,
      clock,
      outDir: join(out, `${++seq}`),
      groundTruth: false,
      ...(signal && { signal }),
    });
  return {
    influx,
    svc,
    browser,
    registry,
    url: (path) => `${svc.httpUrl}${path}`,
    async page() {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      contexts.push(context);
      return guard(context);
    },
    async backfill(scenario) {
      const summary = await simulate(scenario, 'backfill');
      if (summary.publishFailures > 0) throw new Error(`backfill: ${summary.publishFailures} publish failures`);
      await writerDrained(svc);
      return summary;
    },
    live(scenario) {
      const abort = new AbortController();
      const done = simulate(scenario, 'real', abort.signal);
      runs.push({ abort, done });
      return {
        async stop() {
          abort.abort();
          return done;
        },
      };
    },
    async screenshot(page, name) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async cleanup() {
      for (const r of runs) r.abort.abort();
      await Promise.allSettled(runs.map((r) => r.done));
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await svc.cleanup();
      await influx.stop();
      rmSync(out, { recursive: true, force: true });
    },
  };
}
