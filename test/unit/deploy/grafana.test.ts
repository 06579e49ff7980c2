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

  it.each(dashboards)(
    '$file: importable anywhere: every panel, query and variable uses the $datasource variable, which defaults to the provisioned uid',
    ({ d }) => {
      expect(datasources).toHaveLength(1);
      expect(datasources[0]!.uid).toBe('kzm-influx');
      const dsVar = d.templating.list.find((v) => v.type === 'datasource') as
        { name: string; query?: string; current?: { value?: string } } | undefined;
      expect(dsVar?.name).toBe('datasource');
      expect(dsVar?.query).toBe('influxdb');
      expect(dsVar?.current?.value).toBe('kzm-influx');
      expect(JSON.stringify(d)).not.toMatch(/"uid":\s*"kzm-influx"/);
      for (const p of d.panels) {
        if (p.type === 'text') continue;
        expect(p.datasource?.uid, p.title).toBe('${datasource}');
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe('${datasource}');
          expect(t.rawQuery, `${p.title}: raw InfluxQL`).toBe(true);
        }
      }
      for (const v of d.templating.list.filter((x) => x.type === 'query'))
        expect(v.datasource?.uid, v.name).toBe('${datasource}');
    },
  );

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

  it('the fee panels read the fees the service computes (fee_1d) or the imported invoices, never raw readings or typed-in rates', () => {
    const fees = dashboards.find(({ file }) => file === 'fees.json')!.d;
    expect(fees.templating.list.map((v) => v.type)).not.toContain('textbox');
    for (const p of fees.panels)
      for (const t of p.targets ?? []) {
        // issue 24: the supplier's invoice beside the ledger reads the imported invoices (measurement invoice)
        expect(t.query, p.title).toMatch(/FROM "(fee_1d|invoice)"/);
        expect(t.query, p.title).not.toMatch(/"reading"/);
      }
    const text = fees.panels.find((p) => p.type === 'text')?.options?.content ?? '';
    expect(text).toContain('/api/ledger');
  });

  it('consumption energy panels read the rollups or fee_1d; only the latest-reading table reads raw readings', () => {
    const cons = dashboards.find(({ file }) => file === 'consumption.json')!.d;
    for (const p of cons.panels)
      for (const t of p.targets ?? [])
        if (/FROM "reading"/.test(t.query ?? '')) expect(p.title, t.query).toBe('Latest reading per meter');
  });

  it('docker-compose mounts the provisioning where Grafana reads it and the dashboards where the provider looks', () => {
    // compose needs its secrets from .env (no defaults); any values do for the mounts
    const env = {
      INFLUX_ADMIN_PASSWORD: 'x'.repeat(8),
      INFLUX_TOKEN: 't',
      GRAFANA_ADMIN_PASSWORD: 'g',
      SIM_MQTT_PASSWORD: 's',
    };
    const grafana = loadCompose(env).services.grafana!;
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
