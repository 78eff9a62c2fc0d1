// handleImport: one import job from the uploaded Keras file to a published (and maybe promoted)
// version. A file that cannot be converted ends the job with an UnrecoverableError that says what
// to fix; faults of S3 or Redis propagate so BullMQ retries them.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { LABELS, PREPROCESS_VERSION } from '@visionops/core';
import {
  importJobDataSchema,
  PREPROCESSING_NORMALISATION,
  RetrainRedisKeys,
  type ImportJobData,
  type ImportOrigin,
  type ImportPhase,
  type ImportResult,
} from '@visionops/core/jobs';
import type { ModelCard } from '@visionops/core/model';
import { NotFoundError, type PublishedCard } from '@visionops/core/registry';
import { downloadUpload, UploadMismatchError } from '../retrain/download-upload.js';
import { beginJob, jobRunFailure, startJobRun, untilSettledOrAborted } from '../retrain/job-run.js';
import { gateRecordOf, gateVerdict } from '../retrain/retrain-card.js';
import type { RenewJobLock, RetrainDeps } from '../retrain/retrain-job.js';
import { runInThread } from '../retrain/run-in-thread.js';
import { DatasetNames, getStoredDataset } from '../retrain/stored-datasets.js';
import type { ImportAnswer, ImportTask } from './import-task.js';

export type ImportJob = Job<ImportJobData, ImportResult>;

/** The Keras file cannot be used (the message says why): retrying cannot help. */
export class KerasFileRefusedError extends Error {
  override name = 'KerasFileRefusedError';
}

const isBadData = (error: unknown): error is Error =>
  error instanceof KerasFileRefusedError || error instanceof UploadMismatchError;

/** card.training of an imported version. */
export interface ImportTrainingRecord {
  recipe: 'import';
  jobId: string;
  upload: { key: string; sha256: string; bytes: number; fileName: string | undefined };
  preprocessing: ImportJobData['preprocessing'];
  promote: ImportJobData['promote'];
  engine: string;
  layers: number;
  productionMetrics: { version: string; accuracy: number; dataset: string; n: number };
  gate: { promoted: boolean; tolerance: number; reason: string };
  seconds: { total: number; evaluation: number };
}

function resultOf(
  card: PublishedCard,
  record: ImportTrainingRecord,
  promoted: { promoted: boolean; reason: string },
  totalSeconds: number,
): ImportResult {
  return {
    version: card.version,
    parent: record.productionMetrics.version,
    promoted: promoted.promoted,
    accuracy: card.metrics?.accuracy ?? 0,
    productionAccuracy: record.productionMetrics.accuracy,
    reason: promoted.reason,
    origin: card.origin!,
    preprocessing: record.preprocessing,
    layers: record.layers,
    parameters: card.architecture.parameters,
    evaluation: { dataset: card.metrics?.dataset ?? '', n: card.metrics?.n ?? 0 },
    skipped: [],
    notes: [],
    seconds: { total: totalSeconds, evaluation: record.seconds.evaluation },
  };
}

function importRecordOf(card: ModelCard): ImportTrainingRecord | undefined {
  return card.training.recipe === 'import' ? (card.training as unknown as ImportTrainingRecord) : undefined;
}

export async function handleImport(
  job: ImportJob,
  jobSignal: AbortSignal,
  deps: RetrainDeps,
  renewLock?: RenewJobLock,
): Promise<ImportResult> {
  const { data, log, seconds } = beginJob(job, importJobDataSchema, 'import', deps.logger);
  const { config, registry, store, redis } = deps;

  if (data.publishedVersion) {
    // An earlier attempt published; only its promotion may be left to do.
    const card = await registry.getCard(data.publishedVersion);
    const record = importRecordOf(card);
    if (!record) throw new UnrecoverableError(`${data.publishedVersion} is not an imported version`);
    return resultOf(card, record, await promoteIfGatedImport(deps, card, record), seconds());
  }

  const run = startJobRun(jobSignal, redis, RetrainRedisKeys.cancelKey(config.QUEUE_PREFIX, job.id!));
  const { signal } = run;
  const checkpoint = () => run.checkpoint();
  const phase = async (name: ImportPhase) => {
    await checkpoint();
    log.info({ phase: name }, 'import phase');
    await job.updateProgress({ phase: name, epochs: 0, history: [] });
  };
  const workDir = await mkdtemp(join(tmpdir(), 'visionops-import-'));
  try {
    await phase('downloading');
    const path = join(workDir, 'model');
    await downloadUpload(
      store,
      { key: data.uploadKey, sha256: data.uploadSha256, maxBytes: config.IMPORT_MAX_UPLOAD_BYTES },
      path,
      signal,
    ).catch((error: unknown) => {
      if (error instanceof NotFoundError) {
        throw new UploadMismatchError(`${data.uploadKey} is not stored (any more); upload the model again`);
      }
      throw error;
    });
    const file = await readFile(path);

    const production = await registry.getProduction();
    if (!production) throw new Error('no model is in production yet; the registry has not been seeded');
    const [productionCard, productionFiles] = await Promise.all([
      registry.getCard(production.alias.version),
      registry.getFiles(production.alias.version),
    ]);
    if (deps.datasetsReady) await untilSettledOrAborted(deps.datasetsReady, signal);
    const evaluation = await getStoredDataset(store, DatasetNames.evaluation);
    if (!evaluation) {
      throw new UnrecoverableError(
        'no evaluation set is stored, so the import cannot be evaluated against production; ' +
          'set EVAL_DATA_PATH (or DATASET_DIR) for the trainer and import again',
      );
    }

    await phase('converting');
    const normalisation = PREPROCESSING_NORMALISATION[data.preprocessing];
    const task: ImportTask = {
      backend: config.ML_BACKEND,
      file,
      normalisation: { mean: [...normalisation.mean], std: [...normalisation.std] },
      production: { files: productionFiles, normalisation: productionCard.normalisation },
      images: evaluation.dataset.images,
      labels: evaluation.dataset.labels,
      n: evaluation.dataset.n,
      datasetName: evaluation.manifest.source,
    };
    // One thread converts and evaluates: the phase shown while it runs moves on when it answers.
    const evaluationStarted = performance.now();
    const answer = await runInThread<ImportAnswer>(
      new URL('./import-worker.js', import.meta.url),
      task,
      signal,
    );
    if (!answer.ok) {
      if (answer.refused)
        throw new KerasFileRefusedError(`the Keras model could not be imported: ${answer.message}`);
      const error = new Error(`import thread: ${answer.message}`);
      if (answer.stack) error.stack = answer.stack;
      throw error;
    }
    const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;
    await phase('evaluating');

    const gate =
      data.promote === 'never'
        ? {
            promoted: false,
            tolerance: config.PROMOTION_TOLERANCE,
            reason: `not promoted: imported with promote=never (accuracy ${(answer.metrics.accuracy * 100).toFixed(2)}%)`,
          }
        : gateVerdict(
            answer.metrics.accuracy,
            { version: productionCard.version, accuracy: answer.productionMetrics.accuracy },
            config.PROMOTION_TOLERANCE,
          );
    const origin: ImportOrigin = {
      format: data.format,
      kerasVersion: answer.kerasVersion,
      backend: answer.kerasBackend,
      sha256: data.uploadSha256,
      fileName: data.fileName ?? null,
      output: answer.output,
    };
    const record: ImportTrainingRecord = {
      recipe: 'import',
      jobId: job.id!,
      upload: {
        key: data.uploadKey,
        sha256: data.uploadSha256,
        bytes: data.uploadBytes,
        fileName: data.fileName,
      },
      preprocessing: data.preprocessing,
      promote: data.promote,
      engine: answer.engine,
      layers: answer.layers,
      productionMetrics: {
        version: productionCard.version,
        accuracy: answer.productionMetrics.accuracy,
        dataset: answer.productionMetrics.dataset,
        n: answer.productionMetrics.n,
      },
      gate,
      seconds: { total: Math.round(seconds()), evaluation: Math.round(evaluationSeconds) },
    };
    const card: ModelCard = {
      // Lineage: an imported model descends from no version; what it was compared with is in training.
      parent: null,
      createdAt: new Date().toISOString(),
      labels: [...LABELS],
      architecture: {
        name: 'keras',
        layers: answer.layers,
        parameters: answer.parameters,
        inputShape: [32, 32, 3],
      },
      origin,
      normalisation: task.normalisation,
      preprocessVersion: PREPROCESS_VERSION,
      training: { ...record },
      metrics: answer.metrics,
    };

    // The last point where a cancel stops the job: from here on it publishes.
    await phase('publishing');
    if (renewLock && !(await renewLock())) {
      throw new Error('the job lock lapsed before publishing; this run stopped and the job runs again');
    }
    const files = {
      modelJson: Buffer.from(answer.files.modelJson),
      weightsBin: Buffer.from(answer.files.weightsBin),
    };
    const published = await registry.publish(files, card);
    await job.updateData({ ...data, publishedVersion: published.version });
    log.info(
      { version: published.version, accuracy: answer.metrics.accuracy, gate },
      'imported version published',
    );
    return resultOf(published, record, await promoteIfGatedImport(deps, published, record), seconds());
  } catch (error) {
    // A file that cannot be imported is of no use to anyone: it does not stay in storage.
    if (error instanceof KerasFileRefusedError) {
      await store
        .remove(data.uploadKey)
        .catch((cause: unknown) =>
          log.warn({ err: cause, key: data.uploadKey }, 'could not remove a refused model file'),
        );
    }
    throw jobRunFailure(error, run, { log, what: 'import', isBadData, s3Endpoint: config.S3_ENDPOINT });
  } finally {
    run.end();
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Promotes a published import when its gate said so and production is still the version it was
 * compared with: a retry never replaces a version someone promoted in the meantime.
 */
async function promoteIfGatedImport(
  deps: RetrainDeps,
  card: PublishedCard,
  record: ImportTrainingRecord,
): Promise<{ promoted: boolean; reason: string }> {
  const gate = gateRecordOf(card);
  if (!gate?.promoted) return { promoted: false, reason: gate?.reason ?? 'not promoted' };
  const { promoted, production } = await deps.registry.promoteIfProductionIs(
    card.version,
    record.productionMetrics.version,
    gate.reason,
  );
  if (promoted) return { promoted: true, reason: gate.reason };
  return { promoted: false, reason: `not promoted: production moved on to ${production} meanwhile` };
}
