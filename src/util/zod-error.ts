import type { z } from 'zod';

/** Render a zod issue path like `meters[3].sources[0].source`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * zod issues as one line for an HTTP answer or a CLI error: `period: ...; to: ...`.
 * `root` names the input when an issue has no path (e.g. 'body').
 */
export function describeIssues(error: z.ZodError, root?: string): string {
  return error.issues
    .map((i) => {
      const key = formatPath(i.path) || root;
      const what =
        i.code === 'unrecognized_keys'
          ? `unknown parameter${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`
          : i.message;
      return key ? `${key}: ${what}` : what;
    })
    .join('; ');
}
