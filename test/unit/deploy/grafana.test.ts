import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT, envOf, loadCompose, mountsOf } from './compose-file.ts';

const DIR = join(ROOT, 'dashboards/grafana');
interface Target {
  refId?: string;
  query?: string;
  rawQuery?: boolean;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  options?: { content?: string };
  description?: string;
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; datasource?: { uid?: string } }[] };
}

const files = readdirSync(join(DIR, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .sort();
const dashboards = files.map((f) => ({
  file: f,
  d: JSON.parse(readFileSync(join(DIR, 'dashboards', f), 'utf8')) as Dashboard,
}));
const datasources = (
  parseYaml(readFileSync(join(DIR, 'provisioning/datasources/kzmeter-influxdb.yaml'), 'utf8')) as {
    datasources: { uid: string }[];
  }
).datasources;
const providers = (
  parseYaml(readFileSync(join(DIR, 'provisioning/dashboards/kzmeter.yaml'), 'utf8')) as {
    providers: { type: string; options: { path: string } }[];
  }
).providers;
const BUILTIN = new Set(['timeFilter', '__interval', '__interval_ms', 'interval', '__from', '__to', '__range']);

describe('Grafana dashboards and provisioning', () => {
  it('has consumption, meter status and fee dashboards with distinct uids', () => {
    expect(files).toEqual(['consumption.json', 'fees.json', 'meter-status.json']);
    const uids = dashboards.map(({ d }) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it.each(dashboards)('$file: every panel, query and variable uses the provisioned datasource uid', ({ d }) => {
    expect(datasources).toHaveLength(1);
    const uid = datasources[0]!.uid;
    expect(uid).toBe('kzm-influx');
    for (const p of d.panels) {
      if (p.type === 'text') continue;
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe(uid);
        expect(t.rawQuery, `${p.title}: raw InfluxQL`).toBe(true);
      }
    }
    for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(v.datasource?.uid, v.name).toBe(uid);
  });

  it.each(dashboards)('$file: unique panel ids and every variable in a query is defined', ({ d }) => {
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const defined = new Set(d.templating.list.map((v) => v.name));
    for (const p of d.panels)
      for (const t of p.targets ?? []) {
        for (const m of (t.query ?? '').matchAll(/\$\{?(\w+)/g)) {
          expect(defined.has(m[1]!) || BUILTIN.has(m[1]!), `${p.title}: $${m[1]}`).toBe(true);
        }
        // Time-series queries must be bounded by the dashboard's time range.
        if (/GROUP BY time\(/.test(t.query ?? '')) expect(t.query, p.title).toContain('$timeFilter');
      }
  });

  it('the fee dashboard is labelled an estimate and points to the authoritative ledger', () => {
    const fees = dashboards.find(({ file }) => file === 'fees.json')!.d;
    expect(fees.title.toLowerCase()).toContain('estimate');
    for (const p of fees.panels.filter((x) => /₸/.test(x.title)))
      expect(p.title.toLowerCase(), p.title).toContain('estimate');
    const text = fees.panels.find((p) => p.type === 'text')?.options?.content ?? '';
    expect(text).toContain('/api/ledger');
  });

  it('docker-compose mounts the provisioning where Grafana reads it and the dashboards where the provider looks', () => {
    const grafana = loadCompose().services.grafana!;
    const mounts = mountsOf(grafana);
    const target = (src: string) => mounts.find((m) => m.source.replace(/^\.\//, '') === src)?.target;
    expect(target('dashboards/grafana/provisioning/datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(target('dashboards/grafana/provisioning/dashboards')).toBe('/etc/grafana/provisioning/dashboards');
    const dashTarget = target('dashboards/grafana/dashboards');
    expect(providers[0]!.type).toBe('file');
    expect(providers[0]!.options.path).toBe(dashTarget);
    const home = envOf(grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    if (home) expect(files.map((f) => `${dashTarget}/${f}`)).toContain(home);
  });
});
