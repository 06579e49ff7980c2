/**
 * The API description: /openapi.json is a valid OpenAPI 3 document (checked by swagger-parser against the
 * specification's schema), lists every route the app serves, and the documented routes validate their
 * input and answer errors in one shape, 404 included. The Swagger UI page and its files come from the
 * service itself (no CDN).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3 } from 'openapi-types';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.ts';
import { buildApp } from '../../../src/http/app.ts';
import { dashboardRoutes } from '../../../src/http/dashboard/index.ts';
import { ledgerRoutes } from '../../../src/http/routes/ledger.ts';
import { periodRoutes } from '../../../src/http/routes/periods.ts';
import { createLiveState } from '../../../src/live/live-state.ts';
import { createIngestMetrics } from '../../../src/ingest/metrics.ts';
import { createPeriodService } from '../../../src/periods/period-service.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { influxTarget } from '../../../src/store/influx-target.ts';
import { shippedTariffs } from '../fees/helpers.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const registry = loadRegistry(DEVICES_DIR);
let app: FastifyInstance;
let doc: OpenAPIV3.Document;
/** Every method + path the app serves, collected as routes are added. */
const served: { method: string; url: string }[] = [];

beforeAll(async () => {
  const live = createLiveState();
  // Nothing listens on port 9: no test here reads InfluxDB.
  const target = influxTarget(loadConfig({ env: {} }).influx, 'http://127.0.0.1:9');
  const tariffs = await shippedTariffs();
  const health = {
    influx: target,
    writer: { state: () => ({ pendingLines: 0, writing: false, consecutiveFailures: 0 }) },
    broker: () => ({ mode: 'embedded' as const, url: 'mqtt://127.0.0.1:1883', connected: true }),
  };
  const periods = createPeriodService({ registry, tariffs, target, dataDir: '/nonexistent' });
  app = await buildApp({
    registry,
    live,
    metrics: createIngestMetrics(),
    health,
    log: pino({ level: 'silent' }),
    plugins: [
      (a) => {
        a.addHook('onRoute', (r) => {
          for (const m of [r.method].flat()) if (m !== 'HEAD') served.push({ method: m, url: r.url });
        });
      },
      ledgerRoutes({ registry, tariffs, target }),
      periodRoutes({ periods }),
      dashboardRoutes({ registry, tariffs, target, live }),
    ],
  });
  await app.ready();
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json() as OpenAPIV3.Document;
});
afterAll(async () => {
  await app?.close();
});

/** Fastify's /a/:id and /assets/* in OpenAPI's words: /a/{id}, /assets/{*}. */
const openapiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{file}');

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('lists every route the app serves', () => {
    const core = ['/health', '/metrics', '/api/meters', '/api/ledger', '/openapi.json', '/api/periods'];
    for (const p of core) expect(Object.keys(doc.paths), p).toContain(p);
    expect(served.length).toBeGreaterThan(10);
    for (const r of served) {
      const item = doc.paths[openapiPath(r.url)] as Record<string, unknown> | undefined;
      expect(item?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
  });

  it('describes the answers of the API routes, errors in one shape', () => {
    const get = (p: string) => (doc.paths[p] as OpenAPIV3.PathItemObject).get!;
    for (const p of ['/health', '/api/meters', '/api/ledger'])
      expect(Object.keys(get(p).responses), p).toContain('200');
    const ledger = get('/api/ledger');
    expect((ledger.parameters as OpenAPIV3.ParameterObject[]).map((x) => x.name)).toEqual(
      expect.arrayContaining(['period', 'from', 'to', 'site', 'taxpayer', 'policy']),
    );
    const err = (ledger.responses['400'] as OpenAPIV3.ResponseObject).content!['application/json']!
      .schema as OpenAPIV3.SchemaObject;
    expect(err.required).toEqual(['error']);
  });
});

describe('one error shape', () => {
  it.each([
    {
      url: '/no/such/route',
      status: 404,
      error: /^no route GET \/no\/such\/route: the API is described at \/openapi.json$/,
    },
    { url: '/api/ledger', status: 400, error: /^from: give period \(e.g. 2025-Q3\) or both from and to$/ },
    { url: '/api/ledger?period=2025-Q3&colour=red', status: 400, error: /^query: unknown parameter colour$/ },
    { url: '/api/ledger?period=2025-Q3&policy=lenient', status: 400, error: /^policy: / },
    { url: '/api/meters?x=1', status: 400, error: /^query: unknown parameter x$/ },
  ])('$url -> $status { error }', async ({ url, status, error }) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(status);
    const body = res.json() as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(error);
  });

  it('a body that is not JSON is a 400 in the same shape', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/periods/2025-Q3/close',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json() as object)).toEqual(['error']);
  });
});

describe('answers match their schemas', () => {
  it('/api/meters and /health answer through their response schemas', async () => {
    const meters = await app.inject({ method: 'GET', url: '/api/meters' });
    expect(meters.statusCode).toBe(200);
    expect((meters.json() as { meters: unknown[] }).meters).toHaveLength(registry.meters.length);
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect([200, 503]).toContain(health.statusCode);
    expect(health.json()).toMatchObject({ broker: { mode: 'embedded' }, influx: { reachable: false } });
  });
});

describe('Swagger UI', () => {
  it('is served by the service with its files (no CDN)', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[^"']*\.(js|css)/);
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) {
      const url = new URL(s, 'http://x/docs/').pathname;
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
    const json = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(json.json()).toEqual(doc);
  });
});
