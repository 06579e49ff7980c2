/** Swagger UI at /docs renders the API description in Debian's chromium with nothing fetched from elsewhere. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../src/config/load.ts';
import { buildApp } from '../../src/http/app.ts';
import { ledgerRoutes } from '../../src/http/routes/ledger.ts';
import { createIngestMetrics } from '../../src/ingest/metrics.ts';
import { createLiveState } from '../../src/live/live-state.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { influxTarget } from '../../src/store/influx-target.ts';
import { launchChromium } from '../helpers/dashboard-stack.ts';
import { DEVICES_DIR } from '../helpers/service.ts';
import { shippedTariffs } from '../unit/fees/helpers.ts';

let app: FastifyInstance;
let browser: Browser;
let base: string;

beforeAll(async () => {
  const registry = loadRegistry(DEVICES_DIR);
  const target = influxTarget(loadConfig({ env: {} }).influx, 'http://127.0.0.1:9');
  app = await buildApp({
    registry,
    live: createLiveState(),
    metrics: createIngestMetrics(),
    health: {
      influx: target,
      writer: { state: () => ({ pendingLines: 0, writing: false, consecutiveFailures: 0 }) },
      broker: () => ({ mode: 'embedded' as const, url: '', connected: true }),
    },
    log: pino({ level: 'silent' }),
    plugins: [ledgerRoutes({ registry, tariffs: await shippedTariffs(), target })],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('Swagger UI', () => {
  it('shows every documented operation, offline', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    // issue 21: served with a content security policy (nothing from elsewhere, no framing): nothing it blocks
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await page.goto(`${base}/docs`);
    await page.waitForSelector('#operations-ledger-getApiLedger', { timeout: 20_000 });
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(await page.locator('.opblock').count()).toBe(operations);
    await page.click('#operations-ledger-getApiLedger .opblock-summary');
    await page.waitForSelector('#operations-ledger-getApiLedger .parameters');
    expect(await page.locator('#operations-ledger-getApiLedger .parameter__name').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('period'), expect.stringContaining('policy')]),
    );
    // issue 26: the document names its security schemes, so Swagger UI offers to authorize with a token
    expect(await page.locator('.auth-wrapper .authorize').count()).toBe(1);
    expect(outside).toEqual([]);
    expect(blocked).toEqual([]);
    await page.close();
  }, 60_000);
});
