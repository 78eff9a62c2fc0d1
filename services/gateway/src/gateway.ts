// The gateway's parts, wired once: Redis connections, the model registry, the inference pool, the
// model reloader and the metrics. start() brings up the inference threads and starts following
// the production model in the background; stop() releases everything in reverse.
import { Redis } from 'ioredis';
import { OutageLog, type Config, type Logger } from '@visionops/core';
import { createS3Client, ModelRegistry, ObjectStore } from '@visionops/core/registry';
import { Explainer } from './explain/explainer.js';
import { InferencePool } from './inference/inference-pool.js';
import { ModelReloader } from './models/model-reloader.js';
import { Monitoring } from './monitoring/monitoring.js';
import { PredictionLog } from './monitoring/prediction-log.js';
import { PredictionRollup } from './monitoring/prediction-rollup.js';
import { GatewayMetrics } from './observability/gateway-metrics.js';
import { RolloutService } from './rollouts/rollout-service.js';

export interface GatewayOptions {
  /** Channel for model events; CHANNEL_MODELS by default (tests use their own). */
  modelsChannel?: string;
}

export class Gateway {
  readonly metrics = new GatewayMetrics();
  readonly redis: Redis;
  readonly subscriber: Redis;
  readonly store: ObjectStore;
  readonly registry: ModelRegistry;
  readonly pool: InferencePool;
  readonly reloader: ModelReloader;
  /** Explained predictions: the production model on a low-priority thread, started on first use. */
  readonly explainer: Explainer;
  /** Shadow and canary rollouts: the candidate's threads, the traffic split, figures, decisions. */
  readonly rollout: RolloutService;
  readonly predictionLog: PredictionLog;
  readonly monitoring: Monitoring;
  readonly predictionRollup: PredictionRollup;

  constructor(
    readonly config: Config,
    readonly logger: Logger,
    options: GatewayOptions = {},
  ) {
    // Fail commands quickly while Redis is away instead of queueing them for ever; the client keeps
    // reconnecting in the background, and the subscriber resubscribes on reconnect.
    this.redis = this.connectRedis('commands');
    this.subscriber = this.connectRedis('events');
    this.store = new ObjectStore(createS3Client(config), config.S3_BUCKET);
    this.registry = new ModelRegistry({
      store: this.store,
      redis: this.redis,
      logger,
      ...(options.modelsChannel && { channel: options.modelsChannel }),
    });
    this.pool = new InferencePool({
      threads: config.INFERENCE_THREADS,
      backend: config.ML_BACKEND,
      batchMaxSize: config.BATCH_MAX_SIZE,
      batchMaxWaitMs: config.BATCH_MAX_WAIT_MS,
      logger,
      onBatch: (size) => this.metrics.batchSize.observe(size),
      onBatchDone: (busyMs) => this.metrics.inferenceSeconds.inc(busyMs / 1000),
    });
    this.explainer = new Explainer({
      backend: config.ML_BACKEND,
      production: this.pool,
      maxPending: config.EXPLAIN_MAX_PENDING,
      saliency: {
        method: config.EXPLAIN_METHOD,
        samples: config.EXPLAIN_SAMPLES,
        noise: config.EXPLAIN_NOISE,
      },
      logger,
      onDone: (busyMs, images) => {
        this.metrics.explainSeconds.observe(busyMs / 1000);
        this.metrics.explainedImages.inc(images);
      },
    });
    this.reloader = new ModelReloader({
      registry: this.registry,
      pool: this.pool,
      subscriber: this.subscriber,
      pollIntervalMs: config.MODEL_POLL_INTERVAL_MS,
      baselineDir: config.BASELINE_MODEL_DIR,
      s3Region: config.S3_REGION,
      metrics: this.metrics,
      logger,
    });
    this.rollout = new RolloutService({
      config,
      registry: this.registry,
      production: this.pool,
      redis: this.redis,
      subscriber: this.subscriber,
      logger,
      metrics: this.metrics.registry,
    });
    this.predictionLog = new PredictionLog(config, this.metrics, logger);
    this.predictionRollup = new PredictionRollup(config, this.redis, this.store, logger);
    this.monitoring = new Monitoring(config, this.redis, this.store, this.pool, this.metrics, logger);
  }

  async start(): Promise<void> {
    const { name: backend, skipped } = await this.pool.start();
    this.metrics.backendInfo.set({ backend }, 1);
    for (const entry of skipped) this.metrics.backendSkipped.set(entry, 1);
    this.logger.info({ backend, skipped, threads: this.config.INFERENCE_THREADS }, 'inference threads ready');
    this.reloader.start();
    this.rollout.start();
    this.predictionLog.start();
    this.monitoring.start();
    this.predictionRollup.start();
  }

  async stop(): Promise<void> {
    await this.rollout.stop();
    await this.reloader.stop();
    this.monitoring.stop();
    await this.predictionRollup.stop();
    await this.predictionLog.stop();
    await this.explainer.close();
    await this.pool.close();
    this.subscriber.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private connectRedis(role: string): Redis {
    const redis = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: 1 });
    const outage = new OutageLog(
      this.logger,
      'redis connection failed; retrying',
      'redis connection restored',
      {
        role,
      },
    );
    redis.on('error', (error: Error) => outage.failed(error));
    redis.on('ready', () => outage.recovered());
    return redis;
  }
}
