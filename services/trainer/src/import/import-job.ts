// handleImport: one import job from the uploaded Keras file to a published (and maybe promoted)
// version. A file that cannot be converted ends the job with an UnrecoverableError that says what
// to fix; faults of S3 or Redis propagate so BullMQ retries them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { LABELS, PREPROCESS_VERSION, type Logger, type Normalisation } from '@visionops/core';
import {
  importJobDataSchema,
  PREPROCESSING_NORMALISATION,
  type ImportJobData,
  type ImportOrigin,
  type ImportPhase,
  type ImportResult,
} from '@visionops/core/jobs';
import type { ModelCard, ModelFiles } from '@visionops/core/model';
import { UploadMismatchError, UploadStore, type PublishedCard } from '@visionops/core/registry';
import {
  runJobPhases,
  type JobPhaseOptions,
  type JobPhases,
  type RenewJobLock,
} from '../retrain/job-phases.js';
import { beginJob, untilSettledOrAborted } from '../retrain/job-run.js';
import { gateRecordOf, gateVerdict } from '../retrain/retrain-card.js';
import type { RetrainDeps } from '../retrain/retrain-job.js';
import { storeDriftReference } from '../retrain/reference-predictions.js';
import { runInThread } from '../retrain/run-in-thread.js';
import { DatasetNames, getStoredDataset, type StoredDataset } from '@visionops/core/dataset';
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

  const imported: Import = { job, data, log, seconds, deps };
  const options: JobPhaseOptions<ImportPhase> = {
    job,
    jobSignal,
    what: 'import',
    log,
    redis,
    queuePrefix: config.QUEUE_PREFIX,
    s3Endpoint: config.S3_ENDPOINT,
    renewLock,
    async reportPhase(phase) {
      log.info({ phase }, 'import phase');
      await job.updateProgress({ phase, epochs: 0, history: [] });
    },
    isBadData,
    async onFailure(error) {
      // A file that cannot be imported is of no use to anyone: it does not stay in storage.
      if (!(error instanceof KerasFileRefusedError)) return;
      await store
        .remove(data.uploadKey)
        .catch((cause: unknown) =>
          log.warn({ err: cause, key: data.uploadKey }, 'could not remove a refused model file'),
        );
    },
  };
  return runJobPhases(options, async (run) => {
    const inputs = await run.phase('downloading', () => downloadInputs(imported, run));
    const converted = await run.phase('converting', () => convert(imported, inputs, run.signal));
    const card = await run.phase('evaluating', () => importedCard(imported, inputs, converted));
    // The last point where a cancel stops the job: from here on it publishes.
    return run.phase('publishing', () => publish(imported, converted, card, run));
  });
}

/** What every phase of one import run reads. */
interface Import {
  job: ImportJob;
  data: ImportJobData;
  log: Logger;
  seconds: () => number;
  deps: RetrainDeps;
}

/** The Keras file, production and the evaluation set both are measured on. */
interface ImportInputs {
  file: Buffer;
  productionCard: PublishedCard;
  productionFiles: ModelFiles;
  evaluation: StoredDataset;
}

/** The converted model and the figures of the conversion thread. */
interface Converted {
  answer: ImportAnswer & { ok: true };
  normalisation: Normalisation;
  evaluationSeconds: number;
}

async function downloadInputs({ data, deps }: Import, run: JobPhases<ImportPhase>): Promise<ImportInputs> {
  const { config, registry, store } = deps;
  const path = join(run.workDir, 'model');
  const upload = { key: data.uploadKey, sha256: data.uploadSha256, maxBytes: config.IMPORT_MAX_UPLOAD_BYTES };
  await new UploadStore(store).download(upload, path, run.signal);
  const file = await readFile(path);
  const production = await registry.getProduction();
  if (!production) throw new Error('no model is in production yet; the registry has not been seeded');
  const [productionCard, productionFiles] = await Promise.all([
    registry.getCard(production.alias.version),
    registry.getFiles(production.alias.version),
  ]);
  if (deps.datasetsReady) await untilSettledOrAborted(deps.datasetsReady, run.signal);
  const evaluation = await getStoredDataset(store, DatasetNames.evaluation);
  if (!evaluation) {
    throw new UnrecoverableError(
      'no evaluation set is stored, so the import cannot be evaluated against production; ' +
        'set EVAL_DATA_PATH (or DATASET_DIR) for the trainer and import again',
    );
  }
  return { file, productionCard, productionFiles, evaluation };
}

/** Converts the file and evaluates it and production on the evaluation set, in one thread. */
async function convert(
  { data, deps }: Import,
  inputs: ImportInputs,
  signal: AbortSignal,
): Promise<Converted> {
  const preset = PREPROCESSING_NORMALISATION[data.preprocessing];
  // A copy: the preset is frozen, and the task crosses into a thread.
  const normalisation: Normalisation = {
    mean: [...preset.mean] as Normalisation['mean'],
    std: [...preset.std] as Normalisation['std'],
  };
  const { dataset, manifest } = inputs.evaluation;
  const task: ImportTask = {
    backend: deps.config.ML_BACKEND,
    file: inputs.file,
    normalisation,
    production: { files: inputs.productionFiles, normalisation: inputs.productionCard.normalisation },
    images: dataset.images,
    labels: dataset.labels,
    n: dataset.n,
    datasetName: manifest.source,
  };
  const started = performance.now();
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
  return { answer, normalisation, evaluationSeconds: (performance.now() - started) / 1000 };
}

/** The gate's verdict on the figures the conversion thread measured, and the card to publish. */
function importedCard(
  { job, data, seconds, deps }: Import,
  inputs: ImportInputs,
  converted: Converted,
): ModelCard {
  const { answer } = converted;
  const { productionCard } = inputs;
  const tolerance = deps.config.PROMOTION_TOLERANCE;
  const gate =
    data.promote === 'never'
      ? {
          promoted: false,
          tolerance,
          reason: `not promoted: imported with promote=never (accuracy ${(answer.metrics.accuracy * 100).toFixed(2)}%)`,
        }
      : gateVerdict(
          answer.metrics.accuracy,
          { version: productionCard.version, accuracy: answer.productionMetrics.accuracy },
          tolerance,
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
    seconds: { total: Math.round(seconds()), evaluation: Math.round(converted.evaluationSeconds) },
  };
  return {
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
    normalisation: converted.normalisation,
    preprocessVersion: PREPROCESS_VERSION,
    training: { ...record },
    metrics: answer.metrics,
  };
}

async function publish(
  { job, data, log, seconds, deps }: Import,
  { answer }: Converted,
  card: ModelCard,
  run: JobPhases<ImportPhase>,
): Promise<ImportResult> {
  await run.ensureLockHeld();
  const files = {
    modelJson: Buffer.from(answer.files.modelJson),
    weightsBin: Buffer.from(answer.files.weightsBin),
  };
  const published = await deps.registry.publish(files, card);
  await job.updateData({ ...data, publishedVersion: published.version });
  await storeDriftReference(deps.store, published.version, answer.reference, log);
  log.info({ version: published.version, accuracy: answer.metrics.accuracy }, 'imported version published');
  const record = importRecordOf(published)!;
  return resultOf(published, record, await promoteIfGatedImport(deps, published, record), seconds());
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
