/**
 * Every input of the dashboard's HTTP routes (query strings and path parameters), checked with zod.
 * Unknown parameters are refused; a failure answers 400 with describeIssues' sentence.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeIssues } from '../../util/zod-error.ts';

export const DASHBOARD_TOPICS = ['meters', 'overview', 'meter-ledger'] as const;
export type DashboardTopic = (typeof DASHBOARD_TOPICS)[number];

/** Longest range the meter detail charts (the chart is downsampled; the ledger of the range is computed). */
export const MAX_DETAIL_RANGE_DAYS = 400;

const quarter = z.string().regex(/^\d{4}-Q[1-4]$/, 'a quarter such as 2025-Q3');
const instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/,
    'a date YYYY-MM-DD (local midnight at the site) or a date-time with offset, e.g. 2025-07-01T06:00+05:00',
  );

export const overviewQuery = z.strictObject({ period: quarter.optional() });
export const metersQuery = z.strictObject({});

export const meterParams = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a meter id: lower-case letters, digits, "-" or "_"'),
});

export const meterDetailQuery = z
  .strictObject({ from: instant.optional(), to: instant.optional() })
  .refine((q) => (q.from === undefined) === (q.to === undefined), {
    message: 'give both from and to, or neither (the last 24 hours)',
    path: ['to'],
  });

export const eventsQuery = z.strictObject({
  topics: z
    .string()
    .optional()
    .transform((s) => (s === undefined || s === '' ? [...DASHBOARD_TOPICS] : s.split(',')))
    .pipe(z.array(z.enum(DASHBOARD_TOPICS, { message: `each topic one of ${DASHBOARD_TOPICS.join(', ')}` })).min(1)),
});

/** The parsed input, or undefined after answering 400 with the issues as a sentence (`root` names a whole-input issue). */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  reply: FastifyReply,
  root: 'query' | 'path',
): z.output<T> | undefined {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  void reply.status(400).send({ error: describeIssues(r.error, root) });
  return undefined;
}
