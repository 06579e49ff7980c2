/** Our own JSON on meters/{meterId}/reading and meters/{meterId}/status (the contract in README, unchanged). */
import { formatPath } from '../util/zod-error.ts';
import { plainReading, readingPayloadSchema, statusObjectSchema } from './payload-schema.ts';
import type { FormatMeter as Meter } from './types.ts';
import { parseState } from './state-value.ts';
import { acceptReading, acceptStatus, forEachReadingObject, isObject, parseJson, type Collector } from './collect.ts';

export function decodeNativeStatus(c: Collector, meter: Meter, text: string): void {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const json = parseJson(trimmed);
    if (!json.ok) return c.tally.add(json.reason, meter.id, json.detail);
    const parsed = statusObjectSchema.safeParse(json.doc);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = formatPath(issue.path);
      return c.tally.add('invalid-status', meter.id, `${field ? `${field}: ` : ''}${issue.message}`);
    }
    return acceptStatus(c, meter, parsed.data.state, parsed.data.ts);
  }
  const state = parseState(trimmed);
  if (!state)
    return c.tally.add(
      'invalid-status',
      meter.id,
      `status must be "online" or "offline" (or JSON {"state","ts"}), got "${text.slice(0, 50)}"`,
    );
  acceptStatus(c, meter, state);
}

export function decodeNativeReadings(c: Collector, meter: Meter, text: string): void {
  const json = parseJson(text);
  if (!json.ok) return c.tally.add(json.reason, meter.id, json.detail);
  // One reading, what nearly every meter sends: no batch walk, no closure (issue 27).
  if (isObject(json.doc)) return nativeReading(c, meter, json.doc, '');
  forEachReadingObject(c, meter.id, json.doc, (item, where) => nativeReading(c, meter, item, where));
}

function nativeReading(c: Collector, meter: Meter, item: Record<string, unknown>, where: string): void {
  let reading = plainReading(item);
  if (reading === undefined) {
    const parsed = readingPayloadSchema.safeParse(item);
    if (!parsed.success)
      return c.tally.add('schema', meter.id, () => {
        const issue = parsed.error.issues[0]!;
        const field = formatPath(issue.path);
        return `${where}${field ? `${field}: ` : ''}${issue.message}`;
      });
    reading = parsed.data;
  }
  const { ts, kwh, kw, status } = reading;
  // Registers report kWh with 3 decimals: x1000 is exact Wh up to float noise, which Math.round removes.
  acceptReading(c, meter, { tsMs: ts, registerWh: Math.round(kwh * 1000), status }, kw, where);
}
