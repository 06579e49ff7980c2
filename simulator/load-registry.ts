/**
 * Writes a registry folder for the load generator's synthetic meters, so the
 * service can be started with them (KZM registry dir = <out>/registry).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { SimMeter } from './plan-types.ts';

export function writeLoadRegistry(dir: string, meters: readonly SimMeter[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'taxpayers.yaml'),
    stringify({ taxpayers: [{ bin: '940140000385', name: 'Load test LLP', licenceSubtype: 'I' }] }),
  );
  writeFileSync(
    join(dir, 'sites.yaml'),
    stringify({
      sites: [{ id: 'load-site', name: 'Load generator site', taxpayer: '940140000385', timeZone: 'Asia/Almaty' }],
    }),
  );
  writeFileSync(
    join(dir, 'meters.yaml'),
    stringify({
      meters: meters.map((m) => ({
        id: m.id,
        site: m.siteId,
        reportingIntervalS: m.intervalMs / 1000,
        commissionedAt: '2020-01-01',
        sources: [{ from: '2020-01-01', source: 'grid' }],
        maxLoadKw: m.maxLoad[0]!.maxLoadW / 1000,
      })),
    }),
  );
  writeFileSync(join(dir, 'rigs.yaml'), stringify({ rigs: [] }));
  return dir;
}
