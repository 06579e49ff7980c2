import type { z } from 'zod';

/** Render a zod issue path like `meters[3].sources[0].source`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

export function describeIssues(error: z.ZodError, describeEntry?: (path: readonly PropertyKey[]) => string): string[] {
  return error.issues.map((issue) => {
    const where = describeEntry ? describeEntry(issue.path) : formatPath(issue.path);
    return `${where}: ${issue.message}`;
  });
}
