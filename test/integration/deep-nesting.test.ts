/**
 * Issue 22, item 3, end to end: a 10 KB payload of 5,000 `[` and 5,000 `]` on meters/<id>/reading overflowed the
 * stack in ingest; the embedded broker closed the connection without a PUBACK, recorded nothing, and a client with
 * a persistent session resent it forever (20 disconnects and 20 stack traces in 20 s). Here a real mqtt.js client
 * with a persistent session publishes it (and a 100,000-deep one, 200 KB, under the 256 KiB payload bound): each is
 * acknowledged, recorded once as `too-deep`, the connection stays up, and nothing comes back after a reconnect.
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { useInflux } from '../helpers/influx.ts';
import { eventually } from '../helpers/eventually.ts';
import { queryRows, startService } from '../helpers/service.ts';

const METER = 'ekb-1-m01';
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('deep nesting through the embedded broker (issue 22, item 3)', () => {
  const influx = useInflux();

  it('5,000 and 100,000 deep: PUBACK, one too-deep record each, connection kept, no redelivery loop', async () => {
    const target = await influx.database();
    const svc = await startService(target);
    const opts = { clientId: 'deep-sender', clean: false, reconnectPeriod: 0 } as const;
    try {
      const c = await mqtt.connectAsync(svc.brokerUrl, opts);
      let closes = 0;
      c.on('close', () => closes++);
      await c.publishAsync(`meters/${METER}/reading`, deep(5000), { qos: 1 });
      await c.publishAsync(`meters/${METER}/reading`, deep(100_000), { qos: 1 });
      // The same connection goes on carrying good readings.
      await c.publishAsync(`meters/${METER}/reading`, JSON.stringify({ ts: Date.now() - 60_000, kwh: 10.5 }), {
        qos: 1,
      });
      expect(closes).toBe(0);
      await c.endAsync();

      // A reconnect of the persistent session: nothing was left unacknowledged, so nothing is resent.
      const again = await mqtt.connectAsync(svc.brokerUrl, opts);
      await again.publishAsync(`meters/${METER}/reading`, JSON.stringify({ ts: Date.now() - 30_000, kwh: 10.6 }), {
        qos: 1,
      });
      await again.endAsync();
      const count = async () =>
        (await queryRows(target, `SELECT "detail", "count" FROM rejected WHERE "reason" = 'too-deep'`)).length;
      expect(await eventually(count, (n) => n >= 2)).toBe(2);
      const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/^kzm_ingest_rejected_total\{reason="too-deep"\} 2$/m);
      expect(metrics).toMatch(/^kzm_ingest_messages_received_total\{kind="reading"\} 4$/m);
      const stored = await queryRows(target, `SELECT "wh" FROM reading WHERE "meter" = '${METER}'`);
      expect(stored.map((r) => r.wh)).toEqual([10_500, 10_600]);
    } finally {
      await svc.cleanup();
    }
  }, 60_000);
});
