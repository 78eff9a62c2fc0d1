// Every name shared between processes: queues, jobs, Redis channels and S3 keys live here once.

export const QUEUE_RETRAIN = 'retrain';

export const JobName = {
  Retrain: 'retrain',
  /** A Keras model file converted, evaluated and published (POST /models/import). */
  Import: 'import',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Redis pub/sub channel on which model promotions are announced to every gateway. */
export const CHANNEL_MODELS = 'visionops:models';

export type ModelFileName = 'model.json' | 'weights.bin' | 'card.json';

export const S3Keys = {
  modelPrefix: 'models/',
  modelFile: (version: string, file: ModelFileName) => `models/${version}/${file}`,
  productionAlias: 'models/production.json',
  /** The rollout in progress (a candidate in shadow or canary), absent when there is none. */
  rollout: 'models/rollout.json',
  /** Finished rollouts, one object each, named so that keys sort by start time. */
  rolloutHistoryPrefix: 'rollouts/',
  rolloutRecord: (id: string) => `rollouts/${id}.json`,
  upload: (sha256: string) => `uploads/${sha256}.zip`,
  /** An uploaded Keras model file, content-addressed like a retrain ZIP. */
  modelUpload: (sha256: string, format: 'h5' | 'keras') => `uploads/${sha256}.${format}`,
  datasetPrefix: 'datasets/',
  /** A decoded dataset the trainer keeps (`eval`, `replay/<version>`) and its manifest, written last. */
  dataset: (name: string) => `datasets/${name}.vods`,
  datasetManifest: (name: string) => `datasets/${name}.json`,
  /** A model version's drift reference: the monitored figures on its evaluation set. */
  driftReference: (version: string) => `monitoring/references/${version}.json`,
  /** A gzipped JSON-lines batch of prediction log entries, named by its first and last stream ids. */
  predictionBatch: (day: string, firstId: string, lastId: string) =>
    `predictions/${day}/${firstId}_${lastId}.jsonl.gz`,
  predictionBatchPrefix: 'predictions/',
} as const;

/** The stored dataset (S3Keys.dataset) the trainer evaluates every version on. */
export const EVALUATION_DATASET = 'eval';

export const RedisKeys = {
  /** INCR counter behind model version ids; one per bucket, since each bucket is its own registry. */
  modelVersionCounter: (bucket: string) => `visionops:model-version:${bucket}`,
  /** Short-lived lock so that only one of several starting gateways seeds an empty registry. */
  registrySeedLock: (bucket: string) => `visionops:registry-seed:${bucket}`,
  /** Short-lived lock around a trainer's check-then-promote, so two finishing jobs cannot both promote. */
  promotionLock: (bucket: string) => `visionops:promotion:${bucket}`,
  /** A live trainer's heartbeat (JSON, short TTL) under its queue prefix; `*` as id matches them all. */
  trainerHeartbeat: (queuePrefix: string, id: string) => `${queuePrefix}:trainer:${id}`,
  /** Request counters of one rate limit (`predict`, `retrain`), shared by every gateway under the prefix. */
  rateLimit: (queuePrefix: string, name: string) => `${queuePrefix}:rate-limit:${name}`,
  /** Live figures of one version in one rollout (`production`, `candidate`), summed by every gateway. */
  rolloutStats: (queuePrefix: string, rolloutId: string, role: string) =>
    `${queuePrefix}:rollout:${rolloutId}:${role}`,
  /** Short-lived lock held by the one gateway that judges the rollout's criteria at a time. */
  rolloutDecider: (queuePrefix: string) => `${queuePrefix}:rollout-decider`,
  /** The prediction log: a Redis stream (bounded by MAXLEN and age) shared by every gateway. */
  predictionLog: (queuePrefix: string) => `${queuePrefix}:predictions`,
  /** Logged predictions' version, label and input of one minute, kept for the feedback window (hash by predictionId). */
  feedbackCandidates: (queuePrefix: string, minute: number) => `${queuePrefix}:feedback-candidates:${minute}`,
  /** Every feedback received: predictionId -> JSON (hash). */
  feedback: (queuePrefix: string) => `${queuePrefix}:feedback`,
  /** Feedback ids by the time they came in (sorted set), so the oldest are dropped past FEEDBACK_MAX_RECORDS. */
  feedbackOrder: (queuePrefix: string) => `${queuePrefix}:feedback-order`,
  /** The last prediction log stream id copied to S3, and the lock around copying. */
  predictionRollupCursor: (queuePrefix: string) => `${queuePrefix}:predictions:rolled-up`,
  predictionRollupLock: (queuePrefix: string) => `${queuePrefix}:predictions:rollup-lock`,
  /** The 32x32 input of a prediction that got feedback, kept for retraining. */
  feedbackInput: (queuePrefix: string, predictionId: string) =>
    `${queuePrefix}:feedback-input:${predictionId}`,
  /** Feedback ids already sent to a retrain job (set). */
  feedbackUsed: (queuePrefix: string) => `${queuePrefix}:feedback-used`,
  /** The 32x32 input of one logged prediction, kept only when PREDICTION_STORE_IMAGES allows. */
  predictionInput: (queuePrefix: string, predictionId: string) =>
    `${queuePrefix}:prediction-input:${predictionId}`,
} as const;

/** Model version ids are `v1`, `v2`, ...: human-readable, and ordered by their number. */
export const MODEL_VERSION_PATTERN = /^v[1-9][0-9]{0,8}$/;

export function modelVersionId(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`not a model version number: ${n}`);
  return `v${n}`;
}

/** The number of a version id (`v12` -> 12), or undefined when it is not one. */
export function modelVersionNumber(version: string): number | undefined {
  return MODEL_VERSION_PATTERN.test(version) ? Number(version.slice(1)) : undefined;
}

/** The version whose files a key under `models/` belongs to (`models/v3/card.json` -> `v3`). */
export function modelVersionOfKey(key: string): { version: string; file: string } | undefined {
  const match = /^models\/(v[1-9][0-9]{0,8})\/([^/]+)$/.exec(key);
  return match ? { version: match[1]!, file: match[2]! } : undefined;
}
