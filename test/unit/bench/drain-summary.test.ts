import { describe, expect, it } from 'vitest';
import { drainRange } from '../../../bench/drain-checks.ts';
import { drainRatios, formatDrainSummary, summarise, type DrainFigures } from '../../../bench/drain-summary.ts';

/** Issue 27's figures: min / median per consumer and kzmeter's ratios (medians of the same run) to its targets. */
const run = (us: number, influxd: number, rss = 200): DrainFigures => ({
  usPerReading: us,
  influxdUsPerReading: influxd,
  readingsPerS: 1e6 / us,
  peakRssMb: rss,
});

describe('bench: drain summary and ratios (issue 27)', () => {
  it('min and lower median of the runs; peak RSS the highest', () => {
    const s = summarise([run(50.3, 14.7, 243), run(41.9, 12.7, 230), run(60, 16, 250)]);
    expect(s.usPerReading).toEqual({ min: 41.9, median: 50.3 });
    expect(s.influxdUsPerReading).toEqual({ min: 12.7, median: 14.7 });
    expect(s.peakRssMb).toBe(250);
    expect(summarise([run(10, 1), run(20, 2)]).usPerReading.median).toBe(10);
  });

  it("the issue's table: kzmeter 50.3 us vs minimal 12.9 (3.9x, not met), Node-RED 29.6 (1.7x, not met)", () => {
    const r = drainRatios({
      minimal: summarise([run(12.9, 3.6)]),
      kzmeter: summarise([run(50.3, 14.7, 243)]),
      nodeRed: summarise([run(29.6, 4.7)]),
    });
    expect(r.ratios).toMatchObject({ cpuVsMinimal: 3.9, cpuVsNodeRed: 1.7, influxdVsMinimal: 4.08 });
    expect(r.met).toMatchObject({ cpuVsMinimal: false, cpuVsNodeRed: false, influxdVsMinimal: false });
    expect(r.ratios.kzmeterPeakRssMb).toBe(243);
    expect(r.met.kzmeterPeakRssMb).toBe(true);
    // no embedded runs: no figure, not a pass
    expect(r.ratios.embeddedCpuVsReference).toBeNull();
    expect(r.met.embeddedCpuVsReference).toBeNull();
  });

  it('targets met at the limits: 2.0x the minimal, 0.8x Node-RED, RSS below 300 MB over both brokers', () => {
    const r = drainRatios({
      minimal: summarise([run(10, 4)]),
      kzmeter: summarise([run(20, 8, 299)]),
      nodeRed: summarise([run(25, 4)]),
      aedesMinimal: summarise([run(15, 4)]),
      kzmeterEmbedded: summarise([run(30, 8, 300)]),
    });
    expect(r.ratios).toEqual({
      cpuVsMinimal: 2,
      cpuVsNodeRed: 0.8,
      influxdVsMinimal: 2,
      embeddedCpuVsReference: 2,
      kzmeterPeakRssMb: 300,
    });
    expect(r.met).toEqual({
      cpuVsMinimal: true,
      cpuVsNodeRed: true,
      influxdVsMinimal: true,
      embeddedCpuVsReference: true,
      kzmeterPeakRssMb: false,
    });
  });

  it('a CPU per reading <= 0 (a small run: the idle start-up varied more than the drain cost) gives no ratio', () => {
    const r = drainRatios({ minimal: summarise([run(206, 30)]), kzmeter: summarise([run(-112, 56)]) });
    expect(r.ratios.cpuVsMinimal).toBeNull();
    expect(r.met.cpuVsMinimal).toBeNull();
    const lines = formatDrainSummary({ kzmeter: summarise([run(-112, 56)]) }, r, []);
    expect(lines.find((l) => l.includes('/ minimal ingester (mosquitto'))).toMatch(/no figure/);
  });

  it('prints every consumer (skipped and failed ones with the reason) and every target', () => {
    const r = drainRatios({ minimal: summarise([run(12, 4)]), kzmeter: summarise([run(30, 8)]) });
    const lines = formatDrainSummary(
      {
        minimal: summarise([run(12, 4)]),
        kzmeter: summarise([run(30, 8)]),
        nodeRed: { skipped: 'npm install node-red@4.1.8 failed (exit 1): ENOTFOUND registry.npmjs.org' },
        embedded: { failed: 'timed out' },
      },
      r,
      [
        { exactlyOnce: true, rollupsComplete: true },
        { exactlyOnce: false, rollupsComplete: true },
      ],
    );
    const text = lines.join('\n');
    expect(text).toContain('nodeRed: skipped: npm install node-red@4.1.8 failed (exit 1): ENOTFOUND');
    expect(text).toContain('embedded: FAILED: timed out');
    expect(text).toMatch(/minimal ingester \(mosquitto drain\): 2\.5 \(target <= 2\): NOT met/);
    expect(text).toContain('exactly once: 1 of 2; with rollups complete: 2 of 2');
  });

  it("the drain's time range: t0 + k s for the k-th reading of each meter", () => {
    expect(drainRange(1000, 100_000, 1000)).toEqual({ fromMs: 1000, toMs: 1000 + 100_000 });
    expect(drainRange(0, 5001, 1000)).toEqual({ fromMs: 0, toMs: 6000 });
  });
});
