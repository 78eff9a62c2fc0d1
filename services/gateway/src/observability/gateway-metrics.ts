// The gateway's Prometheus metrics, on a registry of its own (so tests can run several gateways in
// one process). Other parts of the gateway add theirs through `registry`.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class GatewayMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'visionops_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly predictions = new Counter({
    name: 'visionops_predictions_total',
    help: 'Images classified, by predicted label and model version',
    labelNames: ['label', 'model_version'] as const,
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'visionops_inference_batch_size',
    help: 'Images per batch sent to an inference thread',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });

  // Against wall-clock time, the share of it a thread spends running the model: near 1 per thread
  // means inference is the bottleneck.
  readonly inferenceSeconds = new Counter({
    name: 'visionops_inference_busy_seconds_total',
    help: 'Time the inference threads spent running batches through the model',
    registers: [this.registry],
  });

  readonly modelSwaps = new Counter({
    name: 'visionops_model_swaps_total',
    help: 'Times a new model version was swapped into service',
    registers: [this.registry],
  });

  readonly modelLoadSeconds = new Histogram({
    name: 'visionops_model_load_seconds',
    help: 'Time to fetch, load and warm up a model version on every inference thread',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly modelLoadFailures = new Counter({
    name: 'visionops_model_load_failures_total',
    help: 'Model versions that failed to load (the previous one kept serving)',
    registers: [this.registry],
  });

  readonly backendInfo = new Gauge({
    name: 'visionops_ml_backend_info',
    help: 'The TensorFlow.js backend the inference threads run on (value 1)',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });

  readonly backendSkipped = new Gauge({
    name: 'visionops_ml_backend_skipped_info',
    help: 'An engine the inference threads passed over at start-up, and why (value 1)',
    labelNames: ['backend', 'reason'] as const,
    registers: [this.registry],
  });

  readonly modelInfo = new Gauge({
    name: 'visionops_model_info',
    help: 'The model version in service (value 1)',
    labelNames: ['model_version'] as const,
    registers: [this.registry],
  });

  // Explanations (POST /predict?explain=true), on their own thread.
  readonly explainSeconds = new Histogram({
    name: 'visionops_explain_thread_seconds',
    help: 'Time the explanation thread spent on each explained request (prediction and saliency maps)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly explainedImages = new Counter({
    name: 'visionops_explained_images_total',
    help: 'Images answered with a saliency map',
    registers: [this.registry],
  });

  readonly explainRejected = new Counter({
    name: 'visionops_explain_rejected_total',
    help: 'Explained requests refused (429) because the explanation thread had EXPLAIN_MAX_PENDING already',
    registers: [this.registry],
  });

  // Monitoring: what the model answers, and how far the live inputs and answers drift from the
  // production version's reference (refreshed every MONITORING_INTERVAL_MS).
  readonly predictionClass = new Counter({
    name: 'visionops_prediction_class_total',
    help: 'Answered predictions by predicted label',
    labelNames: ['label'] as const,
    registers: [this.registry],
  });

  readonly predictionConfidence = new Histogram({
    name: 'visionops_prediction_confidence',
    help: 'Top-1 probability of answered predictions',
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99],
    registers: [this.registry],
  });

  readonly predictionLogWritten = new Counter({
    name: 'visionops_prediction_log_written_total',
    help: 'Predictions written to the prediction log',
    registers: [this.registry],
  });

  readonly predictionLogDropped = new Counter({
    name: 'visionops_prediction_log_dropped_total',
    help: 'Sampled predictions not logged because Redis was slow or away',
    registers: [this.registry],
  });

  readonly driftScore = new Gauge({
    name: 'visionops_drift_score',
    help: 'Population stability index of each signal, production model, last hour vs its reference',
    labelNames: ['signal'] as const,
    registers: [this.registry],
  });

  readonly driftAlert = new Gauge({
    name: 'visionops_drift_alert',
    help: '1 when some drift signal of the production model is over its threshold',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  setModelVersion(version: string): void {
    this.modelInfo.reset();
    this.modelInfo.set({ model_version: version }, 1);
  }
}
