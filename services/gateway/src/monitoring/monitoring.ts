// Live monitoring of the models in service: reads the prediction log (shared by every gateway in
// Redis) for a version and window, compares it with the version's drift reference, and keeps the
// production version's drift figures in the Prometheus metrics.
import type { Redis } from 'ioredis';
import { RedisKeys, type Config, type Logger } from '@visionops/core';
import { DRIFT_SIGNALS } from '@visionops/core/monitoring';
import type { ObjectStore } from '@visionops/core/registry';
import type { InferencePool } from '../inference/inference-pool.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { buildDriftHistory } from './drift-history.js';
import { DriftReferences } from './drift-references.js';
import { buildMonitoringReport, driftBasis } from './monitoring-report.js';
import { thumbnailPath, type DriftHistory, type MonitoringReport } from './monitoring-schemas.js';
import { PredictionInputs, type InputsConfig } from './prediction-inputs.js';
import { ParsedPredictionLog } from './parsed-prediction-log.js';
import type { PredictionRecord } from './prediction-record.js';

/** The window the periodic refresh of the drift metrics looks at. */
export const METRICS_WINDOW_MS = 3_600_000;

export class Monitoring {
  readonly references: DriftReferences;
  readonly inputs: PredictionInputs;
  /** The shared log, parsed: each call reads only what was added since the last. */
  readonly log: ParsedPredictionLog;
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;

  constructor(
    private readonly config: Pick<Config, 'MONITORING_LOW_CONFIDENCE' | 'MONITORING_INTERVAL_MS'> &
      InputsConfig,
    redis: Redis,
    store: ObjectStore,
    private readonly pool: InferencePool,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {
    this.references = new DriftReferences(store, pool, logger);
    this.inputs = new PredictionInputs(config, redis);
    this.log = new ParsedPredictionLog(redis, RedisKeys.predictionLog(config.QUEUE_PREFIX));
  }

  start(): void {
    if (this.config.MONITORING_INTERVAL_MS === 0) return;
    this.timer = setInterval(() => void this.refreshMetrics(), this.config.MONITORING_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The log's entries of `version` between two times (ms), oldest first. */
  predictions(version: string, from: number, to: number): Promise<PredictionRecord[]> {
    return this.log.records(version, from, to);
  }

  async report(version: string, from: number, to = Date.now()): Promise<MonitoringReport> {
    const [records, lookup] = await Promise.all([
      this.predictions(version, from, to),
      this.references.get(version),
    ]);
    const report = buildMonitoringReport({
      version,
      from,
      to,
      records,
      lookup,
      lowConfidence: this.config.MONITORING_LOW_CONFIDENCE,
      thumbnailPolicy: this.inputs.policy,
    });
    const kept = await this.inputs.kept(report.recentLowConfidence.map((each) => each.predictionId));
    for (const each of report.recentLowConfidence) {
      if (kept.has(each.predictionId)) each.thumbnailUrl = thumbnailPath(each.predictionId);
    }
    return report;
  }

  /** Drift per time bucket of a window, from the shared log: every gateway answers the same. */
  async history(version: string, from: number, to: number, stepMs: number): Promise<DriftHistory> {
    const [records, lookup] = await Promise.all([
      this.predictions(version, from, to),
      this.references.get(version),
    ]);
    const reference = 'reference' in lookup ? lookup.reference : undefined;
    return {
      ...buildDriftHistory({ version, from, to, stepMs, records, reference }),
      drift: driftBasis(lookup),
    };
  }

  /** Sets the drift gauges from the production version's last hour. */
  async refreshMetrics(): Promise<void> {
    const version = this.pool.modelVersion;
    if (!version || this.refreshing) return;
    this.refreshing = true;
    try {
      const { drift } = await this.report(version, Date.now() - METRICS_WINDOW_MS);
      for (const signal of DRIFT_SIGNALS) {
        const score = drift.signals?.find((each) => each.signal === signal);
        if (score) this.metrics.driftScore.set({ signal }, score.psi);
        else this.metrics.driftScore.remove({ signal });
      }
      this.metrics.driftAlert.set(drift.alert ? 1 : 0);
    } catch (error) {
      this.logger.warn({ err: error }, 'drift metrics not refreshed');
    } finally {
      this.refreshing = false;
    }
  }
}
