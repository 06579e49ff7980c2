import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { useInflux } from '../helpers/influx.ts';
import { connectMeter } from '../helpers/mqtt.ts';
import { eventually } from '../helpers/eventually.ts';
import { queryRows, startService } from '../helpers/service.ts';

/** Issue 12: the embedded broker read a 16 MB packet into memory before ingest rejected it as 'oversized'. */
describe('embedded broker refuses a packet above the bound at the MQTT layer', () => {
  const influx = useInflux();

  it('closes the connection of a 16 MB PUBLISH before reading it, counts it, and keeps serving others', async () => {
    const target = await influx.database();
    const svc = await startService(target);
    try {
      const rssBefore = process.memoryUsage().rss;
      const big = await mqtt.connectAsync(svc.brokerUrl, { clientId: 'big-sender', reconnectPeriod: 0 });
      const closed = new Promise<void>((r) => big.once('close', () => r()));
      big.publish('meters/m1/reading', Buffer.alloc(16 * 1024 * 1024, 0x20), { qos: 1 }, () => {});
      await closed;
      big.end(true);
      const metrics = await eventually(
        async () => (await fetch(`${svc.httpUrl}/metrics`)).text(),
        (t) => /kzm_ingest_rejected_total\{reason="packet-too-large"\} 1/.test(t),
        5000,
      );
      expect(metrics).toMatch(/kzm_ingest_rejected_total\{reason="packet-too-large"\} 1/);
      // Not read and not stored as an 'oversized' rejection: the body never reached ingest.
      expect(await queryRows(target, `SELECT count(bytes) FROM rejected`)).toEqual([]);
      // Well under the 16 MB the packet announced (the sender's own 16 MB buffer is in this process too).
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);

      const meter = await connectMeter(svc.brokerUrl, 'm1', { will: false });
      await meter.publishAsync('meters/m1/reading', JSON.stringify({ ts: Date.now() - 1000, kwh: 1.5 }), { qos: 1 });
      await meter.endAsync();
    } finally {
      await svc.cleanup();
    }
  }, 30_000);
});
