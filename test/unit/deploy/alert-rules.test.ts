import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { createIngestMetrics, registerMeterGauges } from '../../../src/ingest/metrics.ts';
import { createRollupWorker } from '../../../src/rollup/worker.ts';
import { registerSpoolMetrics } from '../../../src/store/spool.ts';
import { ROOT } from './compose-file.ts';

const DIR = join(ROOT, 'dashboards');
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parseYaml(readFileSync(join(DIR, 'prometheus-alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] })
  .groups[0]!.rules;

let promtool: string | undefined;
try {
  execFileSync('promtool', ['--version'], { stdio: 'ignore' });
  promtool = 'promtool';
} catch {}

/** Every metric the service exposes (the rollup worker registers its own). */
function exposedNames(): Set<string> {
  const m = createIngestMetrics();
  registerMeterGauges(m.registry, { meters: [], live: { get: () => undefined } });
  createRollupWorker({
    target: { url: 'http://127.0.0.1:1', database: 'x' } as never,
    sink: { write: async () => {} },
    log: pino({ level: 'silent' }),
    intervalMs: 1000,
    settleMs: 0,
    maxHoursPerPass: 1,
    metrics: m.registry,
  });
  registerSpoolMetrics(m.registry, { state: () => ({ bytes: 0, maxBytes: 0, full: false }) as never });
  return new Set(m.registry.getMetricsAsArray().map((x) => (x as unknown as { name: string }).name));
}

describe('Prometheus alert rules (dashboards/prometheus-alerts.yml)', () => {
  it('cover a silent meter, write failures, refused lines and the rollup backlog, each with severity and summary', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'KzmeterMeterSilent',
        'KzmeterInfluxWriteFailing',
        'KzmeterInfluxRefusedLines',
        'KzmeterRollupBacklog',
        'KzmeterSpoolFilling',
        'KzmeterSpoolFull',
        'KzmeterSpoolWriteFailing',
      ]),
    );
    for (const r of rules) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it('name only metrics the service exposes (histograms and counters by their series names)', () => {
    const names = exposedNames();
    for (const r of rules)
      for (const [metric] of r.expr.matchAll(/\bkzm_[a-z_]+/g)) {
        const base = metric.replace(/_(bucket|sum|count)$/, '');
        expect(names.has(metric) || names.has(base), `${r.alert}: ${metric}`).toBe(true);
      }
  });

  it("README's metrics table lists every kzm_ metric the service exposes", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 3));
    for (const name of exposedNames()) if (name.startsWith('kzm_')) expect(table, name).toContain(`\`${name}\``);
  });

  it.skipIf(!promtool)('pass promtool check rules and the rule unit tests (promtool test rules)', () => {
    const check = execFileSync(promtool!, ['check', 'rules', 'prometheus-alerts.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(check).toMatch(/SUCCESS: \d+ rules found/);
    const tested = execFileSync(promtool!, ['test', 'rules', 'prometheus-alerts.test.yml'], {
      cwd: DIR,
      encoding: 'utf8',
    });
    expect(tested).toContain('SUCCESS');
  });
});
