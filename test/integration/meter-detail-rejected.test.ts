/** The meter page's count of rejected readings: one stored record may stand for many (its "count"). */
import { expect, it } from 'vitest';
import { readRejected as rejectedOf } from '../../src/store/query/meter-series.ts';
import { postLines } from '../unit/ledger/store-fixtures.ts';
import { useInflux } from '../helpers/influx.ts';

const influx = useInflux();

it('totals sum(count) over records, and count records written before "count" existed as one each', async () => {
  const target = await influx.database();
  const t = Date.UTC(2025, 6, 1, 12);
  await postLines(target, [
    // one amplification message: 131,071 bad array elements in one record
    `rejected,meter=ekb-1-m01,reason=schema topic="meters/ekb-1-m01/reading",detail="[0] expected object",payload="[0,0]",bytes=262143i,count=131071i ${t * 1e6}`,
    // a record from an older version: no count field
    `rejected,meter=ekb-1-m01,reason=invalid-json topic="meters/ekb-1-m01/reading",detail="Unexpected token",payload="{",bytes=1i ${(t + 1000) * 1e6}`,
    // another meter's record is not counted
    `rejected,meter=ekb-1-m02,reason=schema topic="meters/ekb-1-m02/reading",detail="x",payload="x",bytes=1i,count=7i ${(t + 2000) * 1e6}`,
  ]);
  const r = await rejectedOf(target, 'ekb-1-m01', t - 60_000, t + 60_000);
  expect(r.items).toHaveLength(2);
  expect(r.total).toBe(131_072);
});
