import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { formatPath } from './zod-error.ts';

/**
 * A JSON state file checked against its schema: undefined when it does not exist; otherwise its value, or an error
 * (made by `fail`, so each file keeps its own error type) that names the file and the first bad entry.
 */
export function readJsonFile<T extends z.ZodType>(
  file: string,
  schema: T,
  fail: (message: string) => Error,
): z.infer<T> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fail(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw fail(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw fail(`${file}: ${formatPath(first.path) || 'top level'}: ${first.message}`);
  }
  return parsed.data;
}

/** A JSON state file written whole or not at all (a rename over the old one), readable by its owner only. */
export function writeJsonFile(file: string, doc: unknown): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(doc), { mode: 0o600 });
  renameSync(tmp, file);
}
