import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Mosquitto configuration the README recommends: the code block after `<!-- mosquitto-snippet -->`. */
export function readmeMosquittoSnippet(): string {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const m = /<!-- mosquitto-snippet -->\s*```[a-z]*\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no <!-- mosquitto-snippet --> code block');
  return m[1]!;
}
