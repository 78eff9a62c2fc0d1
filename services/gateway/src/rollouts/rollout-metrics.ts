// The rollout on /metrics, read when Prometheus scrapes: whether this gateway splits traffic for a
// rollout (and its share), and its background scoring queue. Predictions by version are counted
// by the predict path already (visionops_predictions_total{model_version}).
import { Gauge, type Registry } from 'prom-client';
import type { RolloutFollower } from './rollout-follower.js';
import type { RolloutTraffic } from './rollout-traffic.js';

export function registerRolloutMetrics(
  registry: Registry,
  follower: Pick<RolloutFollower, 'active'>,
  traffic: Pick<RolloutTraffic, 'backgroundImages'>,
): void {
  new Gauge({
    name: 'visionops_rollout_percent',
    help: 'Share (0-100) of the rollout this gateway splits traffic for: clients (canary) or requests scored (shadow); absent without one',
    labelNames: ['id', 'candidate', 'mode'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const rollout = follower.active?.rollout;
      if (rollout)
        this.set({ id: rollout.id, candidate: rollout.candidate, mode: rollout.mode }, rollout.percent);
    },
  });
  new Gauge({
    name: 'visionops_rollout_background_images',
    help: 'Images waiting for or in background scoring (shadow, canary agreement checks)',
    registers: [registry],
    collect() {
      this.set(traffic.backgroundImages);
    },
  });
}
