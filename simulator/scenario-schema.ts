/**
 * Scenario file format (YAML or JSON), validated with zod. Unknown keys are
 * refused. See simulator/README.md for the prose version.
 */
import { z } from 'zod';
import { SIM_FORMATS } from './formats.ts';

/** 'now', a date YYYY-MM-DD (local midnight in the scenario zone) or an ISO date-time with zone. */
const instant = z
  .string()
  .regex(
    /^(now|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?)$/,
    '"now", a date YYYY-MM-DD or an ISO date-time with zone, e.g. 2025-07-01T06:00:00+05:00',
  );
const fixedInstant = instant.refine((s) => s !== 'now', 'a date or date-time, not "now"');
const timeOfDay = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'a local time HH:MM');
const minutes = z.union([z.number().positive(), z.tuple([z.number().positive(), z.number().positive()])]);

/** Which meters an entry applies to: a list of ids, sites, or 'all' (default). */
const target = {
  meter: z.string().optional(),
  meters: z.union([z.literal('all'), z.array(z.string()).min(1)]).optional(),
  sites: z.array(z.string()).min(1).optional(),
};

/** When: a fixed start (one occurrence per targeted meter) or `count` random occurrences in the run. */
const when = {
  at: fixedInstant.optional(),
  count: z.int().min(1).max(1_000_000).optional(),
  durationMin: minutes.optional(),
};

const failureBase = { ...target, ...when, note: z.string().optional() };

export const failureSchema = z.discriminatedUnion('kind', [
  /** Silent communications outage: the meter keeps counting, nothing is sent, then it resumes. */
  z.strictObject({ kind: z.literal('outage'), ...failureBase }),
  /** The TCP link drops without DISCONNECT: the broker publishes the last will 'offline'. */
  z.strictObject({ kind: z.literal('outage-will'), ...failureBase }),
  /** Gateway buffers readings during the outage and flushes them as one array when back. */
  z.strictObject({ kind: z.literal('store-and-forward'), ...failureBase }),
  /** Meter fault: status 'fault', register frozen. */
  z.strictObject({ kind: z.literal('fault'), ...failureBase }),
  /** Meter replaced: the register restarts near zero. */
  z.strictObject({ kind: z.literal('reset'), ...failureBase, newRegisterKwh: z.number().min(0).default(0) }),
  /** One reading with a register jump of `kwh` (default: 50 x the meter's max load for one interval). */
  z.strictObject({ kind: z.literal('spike'), ...failureBase, kwh: z.number().positive().optional() }),
  /** The meter's clock is off by skewS seconds (+ ahead, - behind) for the duration. */
  z.strictObject({ kind: z.literal('clock-skew'), ...failureBase, skewS: z.number().int() }),
  /** Each reading in the window is delivered twice with this probability. */
  z.strictObject({ kind: z.literal('duplicate'), ...failureBase, probability: z.number().min(0).max(1).default(0.5) }),
  /** Readings in the window are delivered late (after newer ones) with this probability. */
  z.strictObject({
    kind: z.literal('out-of-order'),
    ...failureBase,
    probability: z.number().min(0).max(1).default(0.3),
    delayIntervals: z.int().min(1).max(100).default(3),
  }),
  /** Garbage on the meter's reading topic: invalid JSON, wrong types, invalid UTF-8, empty batch, negative kWh. */
  z.strictObject({ kind: z.literal('garbage'), ...failureBase }),
  /** The meter's client publishes a reading on another meter's topic. */
  z.strictObject({ kind: z.literal('wrong-topic'), ...failureBase, victim: z.string().optional() }),
]);

export const curtailmentSchema = z.discriminatedUnion('kind', [
  /** Rigs run only inside this daily local window (e.g. 00:00-10:00 on cheap night power). */
  z.strictObject({ kind: z.literal('daily-run-window'), ...target, from: timeOfDay, to: timeOfDay }),
  /** The site is curtailed: `fraction` of the rigs stop between from and to. */
  z.strictObject({
    kind: z.literal('curtail'),
    ...target,
    from: fixedInstant,
    to: fixedInstant,
    fraction: z.number().min(0).max(1).default(1),
  }),
]);

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z.int().min(0).max(0xffffffff).default(1),
  /** Registry subset: meter ids, sites, or 'all'. */
  meters: z.union([z.literal('all'), z.array(z.string()).min(1)]).default('all'),
  sites: z.array(z.string()).min(1).optional(),
  start: instant.default('now'),
  /** End of the run; the last reading is published at `end` so the range is covered. Or give durationH; neither = run until stopped. */
  end: fixedInstant.optional(),
  durationH: z.number().positive().optional(),
  /** Zone used for dates in this file. Site zones still govern periods. */
  timeZone: z.string().default('Asia/Almaty'),
  /** Override every meter's registry reporting interval (handy for fast end-to-end runs). */
  reportingIntervalS: z.int().min(1).max(86_400).optional(),
  tsFormat: z.enum(['iso-utc', 'iso-local', 'epoch-ms']).default('iso-utc'),
  /** Publish instantaneous demand (kw) with every reading. */
  publishKw: z.boolean().default(true),
  rigs: z
    .strictObject({
      noisePct: z.number().min(0).max(20).default(1),
      rebootsPerRigPerDay: z.number().min(0).max(100).default(0.02),
      rebootMin: z.tuple([z.number().positive(), z.number().positive()]).default([2, 6]),
      coldStart: z.boolean().default(false),
    })
    .prefault({}),
  curtailment: z.array(curtailmentSchema).default([]),
  failures: z.array(failureSchema).default([]),
  /** Meters that speak a device format (simulator/formats.ts): meter id -> native | tasmota | shelly-gen2 | mapped. */
  formats: z.record(z.string(), z.enum(SIM_FORMATS)).optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type FailureSpec = z.output<typeof failureSchema>;
export type FailureKind = FailureSpec['kind'];
export type CurtailmentSpec = z.output<typeof curtailmentSchema>;
