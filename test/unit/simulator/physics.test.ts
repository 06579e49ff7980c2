import { describe, expect, it } from 'vitest';
import { createMeterPhysics } from '../../../simulator/meter-physics.ts';
import { createRigSim } from '../../../simulator/rig.ts';
import { rigModelFor } from '../../../simulator/rig-models.ts';
import { createPrng } from '../../../simulator/prng.ts';
import { createTruthCollector } from '../../../simulator/truth/collector.ts';
import { generateStream } from '../../../simulator/stream.ts';
import { collect, oneMeterDay, planOf, readingsOf } from './helpers.ts';

const behaviour = { noisePct: 2, rebootsPerRigPerDay: 2, rebootMin: [2, 6] as const, coldStart: true };

describe('rig models', () => {
  it.each([
    ['Antminer S19 Pro', 3250],
    ['Antminer S19j Pro', 3070],
    ['Antminer S21', 3500],
    ['Whatsminer M50', 3300],
  ])('%s draws about its rated power once warm, never above it', (model, ratedW) => {
    const rig = createRigSim(ratedW, rigModelFor(model), behaviour, createPrng(5));
    const draws = Array.from({ length: 2000 }, () => rig.step(60, true));
    const warm = draws.slice(20);
    expect(Math.max(...draws)).toBeLessThanOrEqual(ratedW);
    const mean = warm.reduce((a, b) => a + b, 0) / warm.length;
    expect(mean).toBeGreaterThan(ratedW * 0.85);
    expect(mean).toBeLessThan(ratedW);
    expect(draws[0]).toBeLessThan(ratedW * 0.5); // cold start: warming up
    expect(Math.min(...warm)).toBeLessThan(100); // a reboot: near zero for a few minutes
  });

  it('a curtailed rig draws nothing and hashes nothing', () => {
    const rig = createRigSim(3250, rigModelFor('Antminer S19 Pro'), behaviour, createPrng(1));
    for (let i = 0; i < 100; i++) {
      expect(rig.step(60, false)).toBe(0);
      expect(rig.hashrateThs).toBe(0);
    }
  });
});

describe('meter physics', () => {
  it("the register equals the integral of the rigs' power (exact joules; published Wh truncates)", () => {
    const plan = oneMeterDay([]);
    const meter = plan.meters[0]!;
    const physics = createMeterPhysics(meter, plan.startMs, 9, behaviour, []);
    const r0 = physics.registerJ;
    let integral = 0;
    let steps = 0;
    physics.advanceTo(plan.startMs + 86_400_000, (a, b, j) => {
      integral += j;
      steps++;
      expect(b - a).toBe(60_000);
    });
    expect(steps).toBe(1440);
    expect(physics.registerJ - r0).toBe(integral);
    expect(physics.trueEnergyJ).toBe(integral);
    // ~24 rigs x ~3 kW x 24 h
    expect(integral / 3.6e6).toBeGreaterThan(1200);
  });

  it('published readings: register deltas equal true energy within 1 Wh of truncation', () => {
    const plan = oneMeterDay([]);
    const truth = createTruthCollector(new Map([['ekb-1-m01', 'Asia/Almaty']]));
    const msgs = [...generateStream(plan, truth)];
    const rs = readingsOf(msgs, 'ekb-1-m01');
    expect(rs).toHaveLength(289);
    const trueWh = [...truth.meters.get('ekb-1-m01')!.months.values()].reduce((a, m) => a + m.joules, 0) / 3600;
    expect(Math.abs(rs[rs.length - 1]!.registerWh - rs[0]!.registerWh - trueWh)).toBeLessThan(1);
  });

  it('a rig outside its daily run window draws nothing (curtailment schedule)', () => {
    const plan = planOf({
      meters: ['ekb-1-m01'],
      start: '2025-07-01',
      end: '2025-07-02',
      reportingIntervalS: 300,
      curtailment: [{ kind: 'daily-run-window', meter: 'ekb-1-m01', from: '00:00', to: '10:00' }],
    });
    const rs = readingsOf(collect(plan), 'ekb-1-m01');
    // Readings every 5 min from local midnight: index 120 = 10:00, 288 = next midnight.
    expect(rs[120]!.registerWh - rs[0]!.registerWh).toBeGreaterThan(600_000);
    expect(rs[288]!.registerWh).toBe(rs[121]!.registerWh);
  });

  it('a site curtailment stops the given fraction of rigs', () => {
    const plan = planOf({
      meters: ['ekb-1-m01'],
      start: '2025-07-01',
      end: '2025-07-02',
      reportingIntervalS: 300,
      rigs: { rebootsPerRigPerDay: 0 },
      curtailment: [
        {
          kind: 'curtail',
          meter: 'ekb-1-m01',
          from: '2025-07-01T12:00:00+05:00',
          to: '2025-07-01T13:00:00+05:00',
          fraction: 0.5,
        },
      ],
    });
    const rs = readingsOf(collect(plan), 'ekb-1-m01');
    const before = rs[144]!.registerWh - rs[132]!.registerWh; // 11:00-12:00
    const during = rs[156]!.registerWh - rs[144]!.registerWh; // 12:00-13:00
    expect(during / before).toBeGreaterThan(0.3);
    expect(during / before).toBeLessThan(0.7);
  });

  it('a fault freezes the register and flags the readings', () => {
    const plan = oneMeterDay([{ kind: 'fault', meter: 'ekb-1-m01', at: '2025-07-01T06:00:00+05:00', durationMin: 60 }]);
    const rs = readingsOf(collect(plan), 'ekb-1-m01');
    const window = rs.slice(72, 84); // 06:00..06:55
    expect(window.every((r) => r.status === 'fault')).toBe(true);
    expect(new Set(window.map((r) => r.registerWh)).size).toBe(1);
    expect(rs[84]!.status).toBe('ok');
    expect(rs[84]!.registerWh).toBe(rs[72]!.registerWh); // resumes from the frozen value
    expect(rs[85]!.registerWh).toBeGreaterThan(rs[84]!.registerWh);
  });
});
