/** The simulator's public API (see simulator/README.md). */
export { runSimulation, planFor, type SimulationOptions, type SimulationSummary } from './runner.ts';
export {
  parseSimulateArgs,
  simulateMain,
  formatSummary,
  SIMULATE_HELP,
  SimulateArgsError,
  type SimulateArgs,
} from './cli.ts';
export { generateStream } from './stream.ts';
export { buildPlan } from './plan.ts';
export { loadScenarioFile, parseScenario, ScenarioError } from './scenario-load.ts';
export { liveCalmScenario } from './default-scenario.ts';
export { serializeMessage, type SimMessage, type PublishMessage, type PublishedReading } from './message.ts';
export type { Scenario, ScenarioInput } from './scenario-schema.ts';
export type { SimPlan, SimMeter, FailureEvent } from './plan-types.ts';
export type { ClockSpec } from './clock.ts';
export type { Progress } from './progress.ts';
export { dryRun } from './dry-run.ts';
export { statementCsv, statementMain } from './statement.ts';
