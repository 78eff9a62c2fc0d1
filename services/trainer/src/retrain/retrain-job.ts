// handleRetrain: one retrain job from upload to published version. Bad data ends the job with an
// UnrecoverableError that says what to fix; any other error propagates so BullMQ retries it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { LABELS, NUM_CLASSES, PREPROCESS_VERSION, type Config, type Logger } from '@visionops/core';
import {
  readClassFolderZip,
  UnsafeZipError,
  type DecodedDataset,
  type ZipLimits,
} from '@visionops/core/dataset';
import {
  CANCELLED_REASON,
  inspectRetrainUpload,
  RetrainRedisKeys,
  retrainJobDataSchema,
  RetrainUploadError,
  type RetrainJobData,
  type RetrainResult,
} from '@visionops/core/jobs';
import type { ModelCard } from '@visionops/core/model';
import { NotFoundError, type ModelRegistry, type ObjectStore } from '@visionops/core/registry';
import { splitTrainValidation } from '../training/split.js';
import { classBalancedSample, concatDatasets, countPerClass, subsetDataset } from './dataset-subset.js';
import { downloadUpload, UploadMismatchError } from './download-upload.js';
import { fineTune } from './fine-tune.js';
import { JobProgress } from './job-progress.js';
import { DatasetNames, getStoredDataset, putStoredDataset } from './stored-datasets.js';

export type RetrainConfig = Pick<
  Config,
  | 'QUEUE_PREFIX'
  | 'ML_BACKEND'
  | 'TRAIN_THREADS'
  | 'RETRAIN_MAX_UPLOAD_BYTES'
  | 'RETRAIN_MAX_ZIP_ENTRIES'
  | 'RETRAIN_MAX_UNPACKED_BYTES'
  | 'REPLAY_SAMPLE_SIZE'
  | 'REPLAY_RATIO'
  | 'PROMOTION_TOLERANCE'
>;

export interface RetrainDeps {
  config: RetrainConfig;
  registry: ModelRegistry;
  store: ObjectStore;
  redis: Redis;
  logger: Logger;
  /** Settles once the trainer's first attempt to seed the replay and evaluation sets is over. */
  datasetsReady?: Promise<void>;
}

export type RetrainJob = Job<RetrainJobData, RetrainResult>;

const MAX_LISTED_SKIPS = 100;
/** Share of the upload held out for evaluation when no evaluation set is stored. */
const HELD_OUT_SHARE = 0.2;

export function uploadLimits(config: RetrainConfig): ZipLimits {
  return {
    maxEntries: config.RETRAIN_MAX_ZIP_ENTRIES,
    maxTotalBytes: config.RETRAIN_MAX_UNPACKED_BYTES,
    maxEntryBytes: Math.min(16 * 1024 * 1024, config.RETRAIN_MAX_UNPACKED_BYTES),
  };
}

/** Errors that mean the upload itself is unusable: retrying cannot help. */
function isBadData(error: unknown): error is Error {
  return (
    error instanceof RetrainUploadError ||
    error instanceof UnsafeZipError ||
    error instanceof UploadMismatchError
  );
}

function seedOf(sha256: string): number {
  return Number.parseInt(sha256.slice(0, 8), 16);
}

function gateReason(
  promoted: boolean,
  accuracy: number,
  production: number,
  version: string,
  tolerance: number,
) {
  const pct = (value: number) => `${(value * 100).toFixed(2)}%`;
  return promoted
    ? `promoted: accuracy ${pct(accuracy)} is within ${pct(tolerance)} of production ${version} (${pct(production)}) or better`
    : `not promoted: accuracy ${pct(accuracy)} is more than ${pct(tolerance)} below production ${version} (${pct(production)})`;
}

export async function handleRetrain(
  job: RetrainJob,
  jobSignal: AbortSignal,
  deps: RetrainDeps,
): Promise<RetrainResult> {
  const parsed = retrainJobDataSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid retrain job payload: ${parsed.error.message}`);
  const data = parsed.data;
  const { config, registry, store, redis } = deps;
  const log = deps.logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  // BullMQ aborts jobSignal when this worker is told to cancel the job; a cancel key found at a
  // phase boundary (a message missed while reconnecting) aborts the same way.
  const controller = new AbortController();
  const onJobAbort = () => controller.abort(jobSignal.reason);
  jobSignal.addEventListener('abort', onJobAbort, { once: true });
  const signal = controller.signal;
  const cancelKey = RetrainRedisKeys.cancelKey(config.QUEUE_PREFIX, job.id!);
  const checkpoint = async () => {
    if (!signal.aborted && (await redis.exists(cancelKey)) === 1)
      controller.abort(new Error('cancel requested'));
    signal.throwIfAborted();
  };
  const progress = new JobProgress(
    { updateProgress: (value) => job.updateProgress(value) },
    data.epochs,
    log,
  );
  const workDir = await mkdtemp(join(tmpdir(), 'visionops-retrain-'));
  try {
    await checkpoint();
    await progress.phase('downloading');
    const zipPath = join(workDir, 'upload.zip');
    await downloadUpload(
      store,
      { key: data.uploadKey, sha256: data.uploadSha256, maxBytes: config.RETRAIN_MAX_UPLOAD_BYTES },
      zipPath,
      signal,
    ).catch((error: unknown) => {
      if (error instanceof NotFoundError) {
        throw new UploadMismatchError(`${data.uploadKey} is not stored (any more); upload the ZIP again`);
      }
      throw error;
    });

    await checkpoint();
    await progress.phase('validating');
    const limits = uploadLimits(config);
    await inspectRetrainUpload(zipPath, limits);

    await checkpoint();
    await progress.phase('decoding');
    const decoded = await readClassFolderZip(zipPath, {
      limits,
      signal,
      onProgress: (count) => progress.decoded(count),
    });
    if (decoded.n === 0) {
      throw new RetrainUploadError(
        'no_images',
        `none of the files in class folders could be decoded as an image (${decoded.skipped.length} skipped); ` +
          'upload JPEG, PNG, WebP or GIF files',
      );
    }

    const production = await registry.getProduction();
    if (!production) throw new Error('no model is in production yet; the registry has not been seeded');
    const parentVersion = production.alias.version;
    const [parentCard, parentFiles] = await Promise.all([
      registry.getCard(parentVersion),
      registry.getFiles(parentVersion),
    ]);

    await deps.datasetsReady;
    const storedReplay =
      config.REPLAY_SAMPLE_SIZE > 0 && config.REPLAY_RATIO > 0
        ? ((await getStoredDataset(store, DatasetNames.replay(parentVersion))) ??
          (await getStoredDataset(store, DatasetNames.baselineReplay)))
        : undefined;
    if (!storedReplay) notes.push("trained without replay: no replay sample of the parent's data is stored");

    const storedEvaluation = await getStoredDataset(store, DatasetNames.evaluation);
    let train: DecodedDataset = decoded;
    let evaluation: { dataset: DecodedDataset; name: string };
    if (storedEvaluation) {
      evaluation = { dataset: storedEvaluation.dataset, name: storedEvaluation.manifest.source };
    } else {
      const heldOut = Math.max(NUM_CLASSES, Math.round(decoded.n * HELD_OUT_SHARE));
      const split = splitTrainValidation(decoded.labels, heldOut, seedOf(data.uploadSha256));
      if (split.trainIndices.length === 0 || split.validationIndices.length === 0) {
        throw new Error('no evaluation set is stored and the upload is too small to hold part of it out');
      }
      train = subsetDataset(decoded, split.trainIndices);
      evaluation = {
        dataset: subsetDataset(decoded, split.validationIndices),
        name: 'held-out part of the upload',
      };
      notes.push(
        `no evaluation set is stored: evaluated on ${split.validationIndices.length} held-out upload images, ` +
          'a weaker check than the fixed evaluation set',
      );
    }

    await checkpoint();
    await progress.phase('training');
    const outcome = await fineTune({
      parent: {
        files: parentFiles,
        architecture: parentCard.architecture,
        normalisation: parentCard.normalisation,
      },
      upload: train,
      replay: storedReplay?.dataset,
      replayRatio: config.REPLAY_RATIO,
      evaluation,
      epochs: data.epochs,
      threads: config.TRAIN_THREADS,
      backend: config.ML_BACKEND,
      seed: seedOf(data.uploadSha256),
      signal,
      onProgress: (value) => progress.training(value),
      onEpoch: (record) => progress.epoch(record),
      onEvaluating: () =>
        void progress
          .phase('evaluating')
          .catch((error: unknown) => log.warn({ err: error }, 'progress update failed')),
    });

    await checkpoint();
    await progress.phase('publishing');
    const accuracy = outcome.metrics.accuracy;
    const productionAccuracy = outcome.parentMetrics.accuracy;
    const promoted = accuracy >= productionAccuracy - config.PROMOTION_TOLERANCE;
    const reason = gateReason(
      promoted,
      accuracy,
      productionAccuracy,
      parentVersion,
      config.PROMOTION_TOLERANCE,
    );
    const seconds = (performance.now() - started) / 1000;
    const skipped = decoded.skipped.slice(0, MAX_LISTED_SKIPS);
    const card: ModelCard = {
      parent: parentVersion,
      createdAt: new Date().toISOString(),
      labels: [...LABELS],
      architecture: parentCard.architecture,
      normalisation: parentCard.normalisation,
      preprocessVersion: PREPROCESS_VERSION,
      training: {
        recipe: 'retrain',
        jobId: job.id,
        upload: {
          key: data.uploadKey,
          sha256: data.uploadSha256,
          bytes: data.uploadBytes,
          fileName: data.fileName,
        },
        images: {
          uploaded: decoded.n,
          perClass: Object.fromEntries(LABELS.map((label, c) => [label, countPerClass(decoded.labels)[c]])),
          replay: outcome.mix.replay,
          replaySource: storedReplay?.manifest.source ?? null,
          train: outcome.mix.train,
        },
        skipped,
        skippedCount: decoded.skipped.length,
        epochs: outcome.training.epochs,
        batchSize: outcome.training.batchSize,
        optimizer: {
          name: 'sgd-nesterov',
          momentum: outcome.training.recipe.momentum,
          weightDecay: outcome.training.recipe.weightDecay,
        },
        schedule: outcome.training.recipe.schedule,
        labelSmoothing: outcome.training.recipe.labelSmoothing,
        backend: outcome.training.backend,
        threads: outcome.training.threads,
        trainImagesPerSec: outcome.training.imagesPerSec,
        history: outcome.training.history,
        parentMetrics: {
          accuracy: productionAccuracy,
          dataset: outcome.parentMetrics.dataset,
          n: outcome.parentMetrics.n,
        },
        gate: { promoted, tolerance: config.PROMOTION_TOLERANCE, reason },
        notes,
        startedAt,
        seconds: {
          total: Math.round(seconds),
          training: Math.round(outcome.seconds.training),
          evaluation: Math.round(outcome.seconds.evaluation),
        },
      },
      metrics: outcome.metrics,
    };
    const published = await registry.publish(outcome.files, card);
    log.info(
      { version: published.version, accuracy, productionAccuracy, promoted },
      'retrained version published',
    );
    if (config.REPLAY_SAMPLE_SIZE > 0) {
      const pool = storedReplay ? concatDatasets(storedReplay.dataset, train) : train;
      const sample = subsetDataset(
        pool,
        classBalancedSample(pool.labels, config.REPLAY_SAMPLE_SIZE, seedOf(data.uploadSha256)),
      );
      await putStoredDataset(
        store,
        DatasetNames.replay(published.version),
        sample,
        `${published.version} upload + ${storedReplay?.manifest.name ?? 'no replay'}`,
      );
    }
    if (promoted) await registry.promote(published.version, reason);
    return {
      version: published.version,
      parent: parentVersion,
      promoted,
      accuracy,
      productionAccuracy,
      reason,
      skipped,
      skippedCount: decoded.skipped.length,
      images: { uploaded: decoded.n, replay: outcome.mix.replay, train: outcome.mix.train },
      evaluation: { dataset: outcome.metrics.dataset, n: outcome.metrics.n },
      notes,
      seconds: {
        total: (performance.now() - started) / 1000,
        training: outcome.seconds.training,
        evaluation: outcome.seconds.evaluation,
      },
    };
  } catch (error) {
    if (signal.aborted) {
      log.info('retrain job cancelled');
      throw new UnrecoverableError(
        `${CANCELLED_REASON}: the job was cancelled on request; nothing was published`,
      );
    }
    if (isBadData(error)) {
      log.info({ reason: error.message }, 'retrain upload refused');
      throw new UnrecoverableError(error.message);
    }
    throw error;
  } finally {
    jobSignal.removeEventListener('abort', onJobAbort);
    await rm(workDir, { recursive: true, force: true });
  }
}
