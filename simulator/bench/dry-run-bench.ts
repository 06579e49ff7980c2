/**
 * A whole scenario without a broker, ground truth included: how long the
 * generator and the expected ledger take, and peak memory.
 *
 *   npx tsx simulator/bench/dry-run-bench.ts simulator/scenarios/calm-quarter.yaml
 */
import { loadTariffs } from '../../src/fees/tariff-load.ts';
import { dryRun } from '../dry-run.ts';
import { planFor } from '../runner.ts';

const file = process.argv[2] ?? 'simulator/scenarios/calm-quarter.yaml';
const tariffs = await loadTariffs('tariffs');
const plan = planFor({ scenario: file }, Date.now());
const t0 = Date.now();
const { messages, truth } = dryRun(plan, { ...(tariffs.ok && { tariffs: tariffs.value }) });
const ms = Date.now() - t0;
const bytes = JSON.stringify(truth).length;
console.log(
  JSON.stringify({
    scenario: plan.name,
    meters: plan.meters.length,
    messages,
    ms,
    msgsPerS: Math.round((messages * 1000) / ms),
    truthBytes: bytes,
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  }),
);
