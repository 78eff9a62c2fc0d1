// Environment configuration, parsed once into a typed, frozen object. A bad value stops start-up
// with the list of every variable that is wrong. docs/configuration.md's table mirrors this file.
import { resolve } from 'node:path';
import { z } from 'zod';
import { SALIENCY_METHODS } from './explanation.js';
import { repoRoot } from './paths.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const port = z.coerce.number().int().min(0).max(65535);
const path = z
  .string()
  .min(1)
  .transform((value) => resolve(repoRoot, value));

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool.optional(),

  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  TRAINER_HEALTH_PORT: port.default(8081),
  ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),

  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),

  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:9000'),
  S3_ACCESS_KEY: z.string().min(1).default('S3RVER'),
  S3_SECRET_KEY: z.string().min(1).default('S3RVER'),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .default('visionops'),

  ML_BACKEND: z.enum(['auto', 'node', 'onednn', 'wasm', 'cpu']).default('auto'),
  // OpenMP threads of the oneDNN kernels in each engine thread (the engine reads it itself);
  // unset means every core.
  ML_NATIVE_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  // Read by libgomp itself when the native addon loads; the addon's loader defaults it to passive.
  OMP_WAIT_POLICY: z.enum(['passive', 'active', 'PASSIVE', 'ACTIVE']).optional(),
  // Read by the native addon when it loads: Winograd convolutions where they pay (auto), never
  // (direct), or wherever the shape allows (winograd).
  VISIONOPS_CONV_ALGORITHM: z.enum(['auto', 'direct', 'winograd']).optional(),

  MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  PREDICT_MAX_FILES: z.coerce.number().int().min(1).max(256).default(32),
  PREDICT_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(32 * 1024 * 1024),
  INFERENCE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  BATCH_MAX_SIZE: z.coerce.number().int().min(1).max(1024).default(32),
  BATCH_MAX_WAIT_MS: z.coerce.number().min(0).max(1000).default(0),
  MODEL_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),

  // Explanations (POST /predict?explain=true): their own low-priority thread, started on first use,
  // with at most EXPLAIN_MAX_PENDING requests on it (more are refused with 503), EXPLAIN_MAX_IMAGES
  // images per request, the method, its gradient evaluations per image, and SmoothGrad's noise level.
  EXPLAIN_METHOD: z.enum(SALIENCY_METHODS).default('integrated-gradients'),
  EXPLAIN_MAX_IMAGES: z.coerce.number().int().min(1).max(32).default(4),
  EXPLAIN_MAX_PENDING: z.coerce.number().int().min(1).max(64).default(2),
  EXPLAIN_SAMPLES: z.coerce.number().int().min(1).max(64).default(8),
  EXPLAIN_NOISE: z.coerce.number().min(0).max(1).default(0.15),

  // Rollouts (shadow and canary): inference threads for the candidate, how many images may wait for
  // background (shadow or mirror) scoring before more are dropped, whether a shadow scores only
  // while production's threads have nothing to do, and how often criteria are judged.
  ROLLOUT_CANDIDATE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  ROLLOUT_SHADOW_QUEUE: z.coerce.number().int().min(1).max(10_000).default(32),
  ROLLOUT_SHADOW_ONLY_WHEN_IDLE: bool.default(true),
  ROLLOUT_DECISION_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(1000),

  // Gateway hardening: which proxy hops to believe for the client address, per-client rate limits
  // (0 turns one off), browser origins allowed to call the API, and how long a request may take
  // to arrive.
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[\w.:/, -]+)$/, 'true, false, a hop count or a list of addresses/subnets')
    .default('false')
    .transform((value): boolean | number | string =>
      value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value,
    ),
  // 1000/s per client: above what a gateway on two cores serves (250-600/s, by machine), so load
  // tests on one machine are never throttled; a public deployment sets its own.
  RATE_LIMIT_PREDICT_PER_MINUTE: z.coerce.number().int().min(0).default(60_000),
  RATE_LIMIT_RETRAIN_PER_HOUR: z.coerce.number().int().min(0).default(30),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ''),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }).regex(/^[^/]+\/\/[^/]+$/, 'an origin has no path'))),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600_000),

  // prefault, not default: a default skips the transform and would stay relative to the cwd.
  DATA_DIR: path.prefault('.data'),
  DATASET_DIR: path.prefault('.data/datasets/cifar10'),
  BASELINE_MODEL_DIR: path.prefault('models/baseline'),

  // Retraining: upload limits (checked by the gateway, enforced again by the trainer), the queue,
  // the fine-tuning data mix and the promotion gate.
  QUEUE_PREFIX: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'letters, digits, "_", "." or "-"')
    .default('visionops'),
  RETRAIN_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(200 * 1024 * 1024),
  RETRAIN_MAX_ZIP_ENTRIES: z.coerce.number().int().positive().default(60_000),
  RETRAIN_MAX_UNPACKED_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024 * 1024),
  RETRAIN_BACKOFF_MS: z.coerce.number().int().min(0).default(10_000),
  RETRAIN_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  RETRAIN_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  TRAIN_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  REPLAY_DATA_PATH: path.optional(),
  REPLAY_SAMPLE_SIZE: z.coerce.number().int().min(0).default(5000),
  REPLAY_RATIO: z.coerce.number().min(0).max(100).default(3),
  EVAL_DATA_PATH: path.optional(),
  PROMOTION_TOLERANCE: z.coerce.number().min(0).max(1).default(0.01),
  // Keras imports (POST /models/import): the largest model file taken.
  IMPORT_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),

  // Prediction log and monitoring: the share of answered predictions logged, the log's bounds
  // (entries in the Redis stream, and age), whether the 32x32 inputs are kept with them (privacy
  // default: no; but every input is kept for the feedback window, so a user can still label it), the confidence under which a prediction counts as low, and how often each
  // gateway refreshes the drift metrics (0: only when GET /monitoring is asked).
  PREDICTION_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(1),
  PREDICTION_LOG_MAX_ENTRIES: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
  PREDICTION_LOG_RETENTION_HOURS: z.coerce.number().positive().max(8760).default(24),
  PREDICTION_STORE_IMAGES: bool.default(false),
  PREDICTION_FEEDBACK_WINDOW_MINUTES: z.coerce.number().int().min(0).max(1440).default(15),
  // Feedback records (and their kept inputs) at most; beyond, the oldest are dropped.
  FEEDBACK_MAX_RECORDS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  PREDICTION_LOG_ROLLUP_INTERVAL_MS: z.coerce.number().int().min(0).default(600_000),
  MONITORING_LOW_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.5),
  MONITORING_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),

  // Load tests (npm run loadtest): the gateway to load; unset, they start a local stack themselves.
  TARGET: z.url({ protocol: /^https?$/ }).optional(),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (process.env by default). Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = configSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = typeof issue.path[0] === 'string' ? present[issue.path[0]] : undefined;
        const shown = name.includes('TOKEN') || name.includes('SECRET') ? '(hidden)' : JSON.stringify(value);
        return `${name}=${shown}: ${issue.message}`;
      }),
    );
  }
  return Object.freeze(result.data);
}

/**
 * An environment that loadConfig() turns back into `config` (lists joined with commas): for tests
 * and launchers that derive one configuration from another.
 */
export function configToEnv(config: Config): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(config).flatMap(
      ([name, value]: [string, string | number | boolean | string[] | undefined]) =>
        value === undefined ? [] : [[name, Array.isArray(value) ? value.join(',') : String(value)]],
    ),
  );
}

/** For process entry points: the configuration, or the list of problems on stderr and exit 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
