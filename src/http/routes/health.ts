import type { FastifyInstance } from 'fastify';

export interface HealthReport {
  status: 'ok' | 'degraded';
  broker: { mode: 'embedded' | 'external'; url: string; connected: boolean; clients?: number };
  influx: { url: string; apiVersion: string; reachable: boolean; error?: string };
  ingest: {
    pendingLines: number;
    writing: boolean;
    consecutiveWriteFailures: number;
    lastWriteError?: string;
    lastWriteErrorAt?: string;
  };
}
export type HealthProbe = () => Promise<HealthReport>;

export async function healthRoutes(app: FastifyInstance, probe: HealthProbe): Promise<void> {
  app.get('/health', async (_req, reply) => {
    const report = await probe();
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });
}
