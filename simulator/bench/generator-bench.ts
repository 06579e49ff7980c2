/**
 * Speed of the pure generator alone (no broker): messages per second for a
 * scenario file, or N synthetic meters over H hours.
 *
 *   npx tsx simulator/bench/generator-bench.ts [--scenario file | --meters 1000 --hours 1]
 */
import { parseArgs } from 'node:util';
import { planFor } from '../runner.ts';
import { generateStream } from '../stream.ts';

const { values } = parseArgs({
  options: { scenario: { type: 'string' }, meters: { type: 'string' }, hours: { type: 'string', default: '1' } },
});
const plan = values.scenario
  ? planFor({ scenario: values.scenario }, Date.now())
  : planFor({ meters: Number(values.meters ?? 1000), durationH: Number(values.hours) }, Date.now());
const t0 = Date.now();
let n = 0;
for (const _ of generateStream(plan)) n++;
const ms = Date.now() - t0;
console.log(
  JSON.stringify({
    scenario: plan.name,
    meters: plan.meters.length,
    messages: n,
    ms,
    msgsPerS: Math.round((n * 1000) / ms),
  }),
);
