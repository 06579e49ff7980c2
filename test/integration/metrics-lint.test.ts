/**
 * Issue 26: `promtool check metrics` flagged kzm_rollup_{hours_recomputed,hours_incremental,days_recomputed}_total
 * and kzm_rollup_pending_meter_hours, and there were no HTTP request metrics. The running service's /metrics
 * (after a reading, a ledger and an unknown route, so every family has samples) is checked by Debian's promtool
 * where it is installed (.ci/run installs it); the HTTP request histogram is checked in any case.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';

let promtool: string | undefined;
try {
  execFileSync('promtool', ['--version'], { stdio: 'ignore' });
  promtool = 'promtool';
} catch {}

describe('the /metrics of the running service', () => {
  const influx = useInflux();
  let svc: Awaited<ReturnType<typeof startService>>;
  let text = '';
  beforeAll(async () => {
    svc = await startService(influx.target());
    for (const path of ['/api/meters', '/api/ledger?period=2025-Q3', '/no/such/route', '/health'])
      await (await fetch(`${svc.httpUrl}${path}`)).arrayBuffer();
    text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
  });
  afterAll(async () => {
    await svc?.cleanup();
  });

  it.skipIf(!promtool)('passes promtool check metrics with no problem (4 flagged before)', () => {
    const r = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = `${r.stdout}${r.stderr}`.trim().split('\n').filter(Boolean);
    // prom-client's default Node gauges keep the names every Node dashboard uses; ours must be clean.
    const library =
      /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;
    expect(problems.filter((p) => !library.test(p))).toEqual([]);
    expect(problems.length).toBeLessThanOrEqual(3);
  });

  it('has an HTTP request duration histogram by route (the pattern, not the URL), method and status', () => {
    const line = (route: string, status: number) =>
      new RegExp(
        `^kzm_http_request_duration_seconds_count\\{[^}]*method="GET"[^}]*route="${route.replace(/[?]/g, '\\\\$&')}"[^}]*status="${status}"[^}]*\\} [1-9]`,
        'm',
      );
    expect(text).toMatch(line('/api/meters', 200));
    expect(text).toMatch(line('/api/ledger', 200));
    // an unknown URL is one series, not one per URL a scanner tries
    expect(text).toMatch(line('unmatched', 404));
    expect(text).not.toMatch(/route="\/no\/such\/route"/);
    expect(text).toMatch(/^kzm_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"/m);
  });
});
