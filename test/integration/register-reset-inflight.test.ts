/**
 * Issue 22, item 4, end to end: a meter whose register restarts (meter replaced: 118,472.5 kWh, then 112.5 kWh)
 * publishing with `mosquitto_pub -l` (up to 20 QoS 1 messages in flight, -M 20). Against main at 9b806d5 the
 * reading after the reset was rejected as `unit-jump` (1,053x below, and compared with the live view's last
 * *stored* register, which lags the messages in flight), acknowledged and never stored: 1 or 2 readings in
 * 361,279, depending on timing. Ten runs here; every reading, the reset included, must be stored in every run.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { queryRows, startService } from '../helpers/service.ts';

const METER = 'ekb-1-m01';
const RUNS = 10;
const BEFORE = 30;
const AFTER = 30;
const MIN = 60_000;

/** One run: BEFORE readings rising to 118,472.5 kWh, the reset to 112.5 kWh, AFTER readings rising from it. */
function runLines(startMs: number): { lines: string[]; resetTsMs: number } {
  const lines: string[] = [];
  for (let i = 0; i < BEFORE; i++)
    lines.push(JSON.stringify({ ts: startMs + i * MIN, kwh: 118_472.5 - (BEFORE - 1 - i) * 1.2 }));
  const resetTsMs = startMs + BEFORE * MIN;
  for (let i = 0; i < AFTER; i++) lines.push(JSON.stringify({ ts: resetTsMs + i * MIN, kwh: 112.5 + i * 1.2 }));
  return { lines, resetTsMs };
}

function mosquittoPubLines(port: number, clientId: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-i', clientId, '-q', '1', '-M', '20', '-l'];
    const p = spawn('mosquitto_pub', [...args, '-t', `meters/${METER}/reading`], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}: ${err}`))));
    p.stdin.end(lines.join('\n') + '\n');
  });
}

describe('a register reset with 20 messages in flight (issue 22, item 4)', () => {
  let influx: TestInflux;
  beforeAll(async () => {
    influx = await startInflux();
  }, 60_000);
  afterAll(async () => {
    await influx?.stop();
  });

  it(`118,472.5 kWh then 112.5 kWh via mosquitto_pub -l -M 20: every reading stored, in each of ${RUNS} runs`, async () => {
    const target = await influx.database();
    const svc = await startService(target);
    try {
      const port = Number(new URL(svc.brokerUrl).port);
      const base = Math.floor((Date.now() - 2 * 86_400_000) / MIN) * MIN;
      const perRun: { run: number; stored: number; resetStored: boolean }[] = [];
      for (let run = 0; run < RUNS; run++) {
        const startMs = base + run * (BEFORE + AFTER + 10) * MIN;
        const { lines, resetTsMs } = runLines(startMs);
        // mosquitto_pub exits once every message is acknowledged, and without the spool acknowledged = stored.
        await mosquittoPubLines(port, `reset-run-${run}`, lines);
        const rows = await queryRows(
          target,
          `SELECT "wh" FROM reading WHERE "meter" = '${METER}' AND time >= ${startMs}ms AND time < ${startMs + lines.length * MIN}ms`,
        );
        const timeMs = (t: unknown) => (typeof t === 'number' ? t : Date.parse(String(t)));
        const reset = rows.find((r) => timeMs(r.time) === resetTsMs);
        perRun.push({ run, stored: rows.length, resetStored: reset?.wh === 112_500 });
      }
      const jumps = await queryRows(target, `SELECT "detail" FROM rejected WHERE "reason" = 'unit-jump'`);
      expect({ perRun, jumps }).toEqual({
        perRun: perRun.map((r) => ({ ...r, stored: BEFORE + AFTER, resetStored: true })),
        jumps: [],
      });
    } finally {
      await svc.cleanup();
    }
  }, 120_000);
});
