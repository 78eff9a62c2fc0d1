// handleRetrain: one retrain job from upload to published version. Bad data ends the job with an
// UnrecoverableError that says what to fix; any other error (S3 unreachable, named as such)
// propagates so BullMQ retries it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config, Logger } from '@visionops/core';
import { readClassFolderZip, UnsafeZipError, type ZipLimits } from '@visionops/core/dataset';
import {
  inspectRetrainUpload,
  JobCancellation,
  retrainJobDataSchema,
  RetrainUploadError,
  type RetrainJobData,
  type RetrainResult,
} from '@visionops/core/jobs';
import { trainableArchitecture } from '@visionops/core/model';
import {
  NotFoundError,
  type ModelRegistry,
  type ObjectStore,
  type PublishedCard,
} from '@visionops/core/registry';
import { classBalancedSample, concatDatasets, subsetDataset } from './dataset-subset.js';
import { downloadUpload, UploadMismatchError } from './download-upload.js';
import { fineTune } from './fine-tune.js';
import { JobProgress } from './job-progress.js';
import { beginJob, jobRunFailure, startJobRun, untilSettledOrAborted } from './job-run.js';
import {
  buildRetrainCard,
  gateRecordOf,
  gateVerdict,
  resultFromCard,
  retrainRecordOf,
} from './retrain-card.js';
import { startRetrainRollout, type PromotionOutcome } from './retrain-rollout.js';
import { DatasetNames, putStoredDataset } from './stored-datasets.js';
import { loadTrainingSets } from './training-sets.js';

export type RetrainConfig = Pick<
  Config,
  | 'QUEUE_PREFIX'
  | 'S3_ENDPOINT'
  | 'ML_BACKEND'
  | 'TRAIN_THREADS'
  | 'RETRAIN_MAX_UPLOAD_BYTES'
  | 'RETRAIN_MAX_ZIP_ENTRIES'
  | 'RETRAIN_MAX_UNPACKED_BYTES'
  | 'REPLAY_SAMPLE_SIZE'
  | 'REPLAY_RATIO'
  | 'PROMOTION_TOLERANCE'
  | 'IMPORT_MAX_UPLOAD_BYTES'
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

/**
 * Renews this worker's lock on the job; false when the lock is no longer its own (it lapsed, and
 * the job may be running elsewhere). Absent outside a worker (tests that call the handler).
 */
export type RenewJobLock = () => Promise<boolean>;

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

/**
 * Promotes a published version when its gate said so and production is still its parent: a retry
 * after a fault never rolls back a version that someone promoted in the meantime.
 */
async function promoteIfGated(
  deps: Pick<RetrainDeps, 'registry' | 'redis'>,
  card: PublishedCard,
  data: RetrainJobData,
  log: Logger,
): Promise<PromotionOutcome> {
  const { registry } = deps;
  const gate = gateRecordOf(card);
  if (!gate?.promoted) return { promoted: false, reason: gate?.reason ?? 'not promoted' };
  const mode = data.promote ?? 'gate';
  if (mode !== 'gate') {
    return startRetrainRollout(registry, deps.redis, log, card, { ...data, promote: mode }, gate.reason);
  }
  // Checked and promoted under the registry's lock: another job from the same parent may finish now.
  const { promoted, production } = await registry.promoteIfProductionIs(
    card.version,
    card.parent,
    gate.reason,
  );
  if (promoted) return { promoted: true, reason: gate.reason };
  return { promoted: false, reason: `not promoted: production moved on to ${production} meanwhile` };
}

export async function handleRetrain(
  job: RetrainJob,
  jobSignal: AbortSignal,
  deps: RetrainDeps,
  renewLock?: RenewJobLock,
): Promise<RetrainResult> {
  const { data, log, seconds } = beginJob(job, retrainJobDataSchema, 'retrain', deps.logger);
  const { config, registry, store, redis } = deps;

  if (data.publishedVersion) {
    // An earlier attempt published; only its promotion may be left to do.
    const card = await registry.getCard(data.publishedVersion);
    const record = retrainRecordOf(card);
    if (!record) throw new UnrecoverableError(`${data.publishedVersion} is not a retrained version`);
    return resultFromCard(card, record, await promoteIfGated(deps, card, data, log), seconds());
  }

  const cancellation = new JobCancellation(redis, config.QUEUE_PREFIX);
  const run = startJobRun(jobSignal, () => cancellation.isRequested(job.id!));
  const { signal } = run;
  const checkpoint = () => run.checkpoint();
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
      // Through the central directory: exactly the entries the gateway's check saw.
      read: 'directory',
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
    const [parent, parentFiles] = await Promise.all([
      registry.getCard(production.alias.version),
      registry.getFiles(production.alias.version),
    ]);
    // The first seeding of the datasets may take a while: a stop or cancel must not wait for it.
    if (deps.datasetsReady) await untilSettledOrAborted(deps.datasetsReady, signal);
    const sets = await loadTrainingSets({
      store,
      parent,
      upload: decoded,
      replayEnabled: config.REPLAY_SAMPLE_SIZE > 0 && config.REPLAY_RATIO > 0,
      seed: seedOf(data.uploadSha256),
    });

    const architecture = trainableArchitecture(parent);
    if (!architecture) {
      throw new UnrecoverableError(
        `production ${parent.version} is an imported Keras model, which visionops cannot fine-tune yet; ` +
          'promote a version trained by visionops (POST /models/<version>/promote), then retrain',
      );
    }

    await checkpoint();
    await progress.phase('training');
    const outcome = await fineTune({
      parent: { files: parentFiles, architecture, normalisation: parent.normalisation },
      upload: sets.train,
      replay: sets.replay?.dataset,
      replayRatio: config.REPLAY_RATIO,
      evaluation: sets.evaluation,
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

    // The last point where a cancel stops the job: from here on it publishes.
    await checkpoint();
    await progress.phase('publishing');
    let replaySet: string | null = null;
    if (config.REPLAY_SAMPLE_SIZE > 0) {
      // Written before the version, under a name of its inputs, so a retry rewrites the same one.
      replaySet = DatasetNames.replayAfter(parent.version, data.uploadSha256);
      const pool = sets.replay ? concatDatasets(sets.replay.dataset, sets.train) : sets.train;
      const sample = classBalancedSample(pool.labels, config.REPLAY_SAMPLE_SIZE, seedOf(data.uploadSha256));
      await putStoredDataset(
        store,
        replaySet,
        subsetDataset(pool, sample),
        `${parent.version} replay + upload ${data.uploadSha256.slice(0, 16)}`,
      );
    }
    const gate = gateVerdict(
      outcome.metrics.accuracy,
      { version: parent.version, accuracy: outcome.parentMetrics.accuracy },
      config.PROMOTION_TOLERANCE,
    );
    const card = buildRetrainCard({
      jobId: job.id!,
      data,
      parent,
      uploadLabels: decoded.labels,
      skipped: decoded.skipped,
      outcome,
      replaySource: sets.replay?.manifest.source ?? null,
      replaySet,
      gate,
      notes: sets.notes,
      startedAt: new Date(Date.now() - seconds() * 1000).toISOString(),
      totalSeconds: seconds(),
    });
    // A lost lock is reported only at the next renewal tick, seconds later: ask now, so a run whose
    // job went to another trainer meanwhile does not publish a second version.
    if (renewLock && !(await renewLock())) {
      log.warn(
        'retrain run stopped: its lock lapsed before publishing and the job runs again; nothing was published',
      );
      throw new Error('the job lock lapsed before publishing; this run stopped and the job runs again');
    }
    const published = await registry.publish(outcome.files, card);
    await job.updateData({ ...data, publishedVersion: published.version });
    log.info(
      {
        version: published.version,
        accuracy: outcome.metrics.accuracy,
        production: outcome.parentMetrics.accuracy,
        gate,
      },
      'retrained version published',
    );
    return resultFromCard(
      published,
      retrainRecordOf(published)!,
      await promoteIfGated(deps, published, data, log),
      seconds(),
    );
  } catch (error) {
    throw jobRunFailure(error, run, { log, what: 'retrain', isBadData, s3Endpoint: config.S3_ENDPOINT });
  } finally {
    run.end();
    await rm(workDir, { recursive: true, force: true });
  }
}
