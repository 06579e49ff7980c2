/** The one liveness probe of InfluxDB: GET /ping answers 204 on 1.x, 2.x and 3.x. */
export interface PingResult {
  readonly ok: boolean;
  /** Why not, when not ok. */
  readonly error?: string;
}

export async function pingInflux(url: string, timeoutMs = 2000): Promise<PingResult> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status === 204 || res.ok ? { ok: true } : { ok: false, error: `GET /ping answered ${res.status}` };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
