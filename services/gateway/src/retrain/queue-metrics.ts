// Queue depth on /metrics: read from Redis when Prometheus scrapes, so it is never stale.
import { Gauge, type Registry } from 'prom-client';
import type { RetrainJobs } from './retrain-jobs.js';

export function registerQueueMetrics(registry: Registry, jobs: Pick<RetrainJobs, 'depth'>): void {
  new Gauge({
    name: 'visionops_retrain_jobs',
    help: 'Retrain jobs waiting (queued, delayed for a retry) and running',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      // With Redis away the depth is unknown (NaN), and the rest of /metrics still answers.
      const depth = await jobs.depth().catch(() => ({ waiting: Number.NaN, active: Number.NaN }));
      this.set({ state: 'waiting' }, depth.waiting);
      this.set({ state: 'active' }, depth.active);
    },
  });
}
