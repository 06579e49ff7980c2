import { describe, expect, it } from 'vitest';
import { createLocalInflux, LocalInfluxError } from '../../../src/store/local-influxd.ts';

describe('local influxd', () => {
  it('says how to install InfluxDB or which variable to set when influxd is missing', async () => {
    const li = createLocalInflux({ dataDir: '/tmp/kzm-never', bin: '/nonexistent/influxd' });
    const err = await li.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalInfluxError);
    expect((err as Error).message).toMatch(/apt-get install influxdb/);
    expect((err as Error).message).toMatch(/KZM_INFLUX_URL/);
  });
});
