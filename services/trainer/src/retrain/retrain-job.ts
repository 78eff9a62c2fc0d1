// handleRetrain: one retrain job from upload to published version. Bad data ends the job with an
// UnrecoverableError that says what to fix; any other error (S3 unreachable, named as such)
// propagates so BullMQ retries it.
import { join } from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config, Logger } from '@visionops/core';
import {
  DatasetNames,
  type DecodedDataset,
  putStoredDataset,
  readClassFolderZip,
  UnsafeZipError,
  type ZipLimits,
} from '@visionops/core/dataset';
import {
  inspectRetrainUpload,
  retrainJobDataSchema,
  RetrainUploadError,
  type RetrainJobData,
  type RetrainPhase,
  type RetrainResult,
} from '@visionops/core/jobs';
import { trainableArchitecture, type ArchitectureSpec, type ModelFiles } from '@visionops/core/model';
import {
  UploadMismatchError,
  UploadStore,
  zipLimits,
  type ModelRegistry,
  type ObjectStore,
  type PublishedCard,
} from '@visionops/core/registry';
import { classBalancedSample, concatDatasets, subsetDataset } from './dataset-subset.js';
import { fineTune, type FineTuneOutput } from './fine-tune.js';
import { JobProgress } from './job-progress.js';
import { runJobPhases, type JobPhaseOptions, type JobPhases, type RenewJobLock } from './job-phases.js';
import { beginJob, untilSettledOrAborted } from './job-run.js';
import {
  buildRetrainCard,
  gateRecordOf,
  gateVerdict,
  resultFromCard,
  retrainRecordOf,
} from './retrain-card.js';
import { startRetrainRollout, type PromotionOutcome } from './retrain-rollout.js';
import { storeDriftReference } from './reference-predictions.js';
import { loadTrainingSets, type TrainingSets } from './training-sets.js';

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
  const { config, registry, redis } = deps;
  const retrain: Retrain = { job, data, log, seconds, deps };

  if (data.publishedVersion) {
    // An earlier attempt published; only its promotion may be left to do.
    const card = await registry.getCard(data.publishedVersion);
    const record = retrainRecordOf(card);
    if (!record) throw new UnrecoverableError(`${data.publishedVersion} is not a retrained version`);
    return resultFromCard(card, record, await promoteIfGated(deps, card, data, log), seconds());
  }

  const progress = new JobProgress(
    { updateProgress: (value) => job.updateProgress(value) },
    data.epochs,
    log,
  );
  const options: JobPhaseOptions<RetrainPhase> = {
    job,
    jobSignal,
    what: 'retrain',
    log,
    redis,
    queuePrefix: config.QUEUE_PREFIX,
    s3Endpoint: config.S3_ENDPOINT,
    renewLock,
    reportPhase: (phase) => progress.phase(phase),
    isBadData,
  };
  return runJobPhases(options, async (run) => {
    const limits = zipLimits(config);
    const zipPath = await run.phase('downloading', () => downloadZip(retrain, run));
    await run.phase('validating', () => inspectRetrainUpload(zipPath, limits));
    const decoded = await run.phase('decoding', () => decodeZip(zipPath, limits, run.signal, progress));
    const inputs = await trainingInputs(retrain, decoded, run.signal);
    const outcome = await run.phase('training', () => train(retrain, inputs, run.signal, progress));
    // The last point where a cancel stops the job: from here on it publishes.
    return run.phase('publishing', () => publish(retrain, inputs, outcome, run));
  });
}

/** What every phase of one retrain run reads. */
interface Retrain {
  job: RetrainJob;
  data: RetrainJobData;
  log: Logger;
  seconds: () => number;
  deps: RetrainDeps;
}

/** Production (the parent) and the data sets a retrain trains and evaluates on. */
interface TrainingInputs {
  decoded: DecodedDataset;
  parent: PublishedCard;
  parentFiles: ModelFiles;
  architecture: ArchitectureSpec;
  sets: TrainingSets;
}

async function downloadZip({ data, deps }: Retrain, run: JobPhases<RetrainPhase>): Promise<string> {
  const zipPath = join(run.workDir, 'upload.zip');
  const upload = {
    key: data.uploadKey,
    sha256: data.uploadSha256,
    maxBytes: deps.config.RETRAIN_MAX_UPLOAD_BYTES,
  };
  await new UploadStore(deps.store).download(upload, zipPath, run.signal);
  return zipPath;
}

async function decodeZip(
  zipPath: string,
  limits: ZipLimits,
  signal: AbortSignal,
  progress: JobProgress,
): Promise<DecodedDataset> {
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
  return decoded;
}

async function trainingInputs(
  { data, deps }: Retrain,
  decoded: DecodedDataset,
  signal: AbortSignal,
): Promise<TrainingInputs> {
  const { registry, store, config } = deps;
  const production = await registry.getProduction();
  if (!production) throw new Error('no model is in production yet; the registry has not been seeded');
  const [parent, parentFiles] = await Promise.all([
    registry.getCard(production.alias.version),
    registry.getFiles(production.alias.version),
  ]);
  const architecture = trainableArchitecture(parent);
  if (!architecture) {
    throw new UnrecoverableError(
      `production ${parent.version} is an imported Keras model, which visionops cannot fine-tune yet; ` +
        'promote a version trained by visionops (POST /models/<version>/promote), then retrain',
    );
  }
  // The first seeding of the datasets may take a while: a stop or cancel must not wait for it.
  if (deps.datasetsReady) await untilSettledOrAborted(deps.datasetsReady, signal);
  const sets = await loadTrainingSets({
    store,
    parent,
    upload: decoded,
    replayEnabled: config.REPLAY_SAMPLE_SIZE > 0 && config.REPLAY_RATIO > 0,
    seed: seedOf(data.uploadSha256),
  });
  return { decoded, parent, parentFiles, architecture, sets };
}

function train(
  { data, deps, log }: Retrain,
  { parent, parentFiles, architecture, sets }: TrainingInputs,
  signal: AbortSignal,
  progress: JobProgress,
): Promise<FineTuneOutput> {
  const { config } = deps;
  return fineTune({
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
}

/**
 * Writes the replay set for the next retrain, publishes the version with its gate verdict and
 * promotes it (or starts its rollout) when the gate allows.
 */
async function publish(
  retrain: Retrain,
  { decoded, parent, sets }: TrainingInputs,
  outcome: FineTuneOutput,
  run: JobPhases<RetrainPhase>,
): Promise<RetrainResult> {
  const { job, data, log, seconds, deps } = retrain;
  const replaySet = await storeReplaySet(retrain, parent, sets);
  const gate = gateVerdict(
    outcome.metrics.accuracy,
    { version: parent.version, accuracy: outcome.parentMetrics.accuracy },
    deps.config.PROMOTION_TOLERANCE,
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
  await run.ensureLockHeld();
  const published = await deps.registry.publish(outcome.files, card);
  await job.updateData({ ...data, publishedVersion: published.version });
  await storeDriftReference(deps.store, published.version, outcome.reference, log);
  log.info(
    {
      version: published.version,
      accuracy: outcome.metrics.accuracy,
      production: outcome.parentMetrics.accuracy,
      gate,
    },
    'retrained version published',
  );
  const promotion = await promoteIfGated(deps, published, data, log);
  return resultFromCard(published, retrainRecordOf(published)!, promotion, seconds());
}

/**
 * The replay set the next retrain draws from: a class-balanced sample of this one's replay and
 * upload, written before the version under a name of its inputs, so a retry rewrites the same one.
 */
async function storeReplaySet(
  { data, deps }: Retrain,
  parent: PublishedCard,
  sets: TrainingSets,
): Promise<string | null> {
  const { config, store } = deps;
  if (config.REPLAY_SAMPLE_SIZE <= 0) return null;
  const name = DatasetNames.replayAfter(parent.version, data.uploadSha256);
  const pool = sets.replay ? concatDatasets(sets.replay.dataset, sets.train) : sets.train;
  const sample = classBalancedSample(pool.labels, config.REPLAY_SAMPLE_SIZE, seedOf(data.uploadSha256));
  await putStoredDataset(
    store,
    name,
    subsetDataset(pool, sample),
    `${parent.version} replay + upload ${data.uploadSha256.slice(0, 16)}`,
  );
  return name;
}
