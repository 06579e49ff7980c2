/**
 * A deliberate duration in a test, not a wait: how long a drill's fault lasts ("influxd dead while meters
 * publish") or how long a test watches for something that must not happen ("no acknowledgement while the spool
 * is full"). `why` says which, for the reader. A test that waits FOR something uses `eventually` instead.
 */
export async function holdFor(ms: number, why: string): Promise<void> {
  if (!why.trim()) throw new Error('holdFor: say why the test holds (a fault length or a watch window)');
  await new Promise((r) => setTimeout(r, ms));
}
