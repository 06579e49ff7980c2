import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real servers (influxd, mosquitto, aedes) on free ports; two cores here.
    maxWorkers: 2,
    // CI reads the tally from the JSON report (.ci/run prints "tests: N passed, N failed").
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]] : ['default'],
  },
});
