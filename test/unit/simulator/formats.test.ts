/** The simulator's device formats round-trip through the service's decoders: what it says it published is what ingest reads. */
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, planFor, dryRun } from '../../../simulator/index.ts';
import { simDevices } from '../../../simulator/formats.ts';
import type { PublishMessage } from '../../../simulator/message.ts';
import { decodeMessage } from '../../../src/ingest/decode.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { resolveDevices } from '../../../src/registry/resolve-devices.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const FORMATS = { 'ekb-1-m01': 'tasmota', 'kpg-2-m03': 'shelly-gen2', 'ast-3-m02': 'mapped' } as const;

describe('simulator device formats', () => {
  const scenario = { ...loadScenarioFile('simulator/scenarios/short-e2e.yaml'), formats: { ...FORMATS } };
  const plan = planFor({ scenario }, Date.now());
  const base = loadRegistry(DEVICES_DIR);
  const d = simDevices(FORMATS);
  const registry = {
    ...base,
    devices: resolveDevices(d.devices, d.mappings, new Set(base.meters.map((m) => m.id)), 'devices.yaml').devices,
  };
  const ctx = { registry, nowMs: plan.endMs! + 86_400_000, maxPayloadBytes: 256 * 1024, maxFutureSkewMs: 300_000 };

  it('every published reading decodes to exactly what the ground truth records, through each format', () => {
    const seen = new Map<string, number>();
    dryRun(plan, {
      onMessage: (m) => {
        if (m.type !== 'publish' || !m.readings || m.kind === 'wrong-topic') return;
        const got = decodeMessage(m.topic, Buffer.from(m.payload), ctx);
        expect(got.rejections, m.topic).toEqual([]);
        expect(
          got.readings.map((r) => ({ tsMs: r.tsMs, registerWh: r.registerWh, status: r.status })),
          `${m.topic} ${String(m.payload).slice(0, 80)}`,
        ).toEqual(m.readings);
        const format = FORMATS[m.meterId as keyof typeof FORMATS] ?? 'native';
        seen.set(format, (seen.get(format) ?? 0) + m.readings.length);
      },
    });
    expect([...seen.keys()].sort()).toEqual(['mapped', 'shelly-gen2', 'tasmota']);
  });

  it('garbage on a vendor topic is rejected or ignored, never read as a reading', () => {
    dryRun(plan, {
      onMessage: (m) => {
        if (m.type !== 'publish' || m.kind !== 'garbage') return;
        expect(decodeMessage(m.topic, Buffer.from((m as PublishMessage).payload), ctx).readings).toEqual([]);
      },
    });
  });

  it('the gateway forwards its outage as one timestamped DOWN/UP message instead of a dropped link', () => {
    const forwarded: PublishMessage[] = [];
    let drops = 0;
    dryRun(plan, {
      onMessage: (m) => {
        if (m.type === 'drop') drops++;
        if (m.type === 'publish' && m.offlineAtMs !== undefined) forwarded.push(m);
      },
    });
    expect(drops).toBe(0); // ast-3-m02's outage-will is the only one in short-e2e
    expect(forwarded).toHaveLength(1);
    const st = decodeMessage(forwarded[0]!.topic, Buffer.from(forwarded[0]!.payload), ctx).statuses;
    expect(st.map((s) => [s.state, new Date(s.tsMs!).toISOString()])).toEqual([
      ['offline', '2025-07-01T09:00:00.000Z'],
      ['online', '2025-07-01T09:45:00.000Z'],
    ]);
  });
});
