/** Reads a scenario file (YAML or JSON) and validates it; errors name the file and the field. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { formatPath } from '../src/util/zod-error.ts';
import { scenarioSchema, type Scenario } from './scenario-schema.ts';

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export function parseScenario(doc: unknown, where = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${where}: ${formatPath(i.path) || 'top level'}: ${i.message}`);
  throw new ScenarioError(`Scenario is invalid:\n  - ${problems.join('\n  - ')}`);
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(`${file}: cannot read scenario: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ScenarioError(
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  return parseScenario(doc, file);
}
