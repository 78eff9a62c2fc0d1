// The model card of a retrained version (what it was trained on, how it did, the gate's verdict)
// and the job result, which is read back from that card when a retry finds the version published.
import { LABELS, PREPROCESS_VERSION } from '@visionops/core';
import { countPerClass, type SkippedEntry } from '@visionops/core/dataset';
import type { RetrainJobData, RetrainResult } from '@visionops/core/jobs';
import type { ModelCard } from '@visionops/core/model';
import type { PublishedCard } from '@visionops/core/registry';
import type { FineTuneOutput } from './fine-tune.js';

const MAX_LISTED_SKIPS = 100;

/** card.training of a retrained version. */
export interface RetrainTrainingRecord {
  recipe: 'retrain';
  jobId: string;
  upload: { key: string; sha256: string; bytes: number; fileName: string | undefined };
  images: {
    uploaded: number;
    perClass: Record<string, number>;
    replay: number;
    replaySource: string | null;
    train: number;
  };
  /** The replay sample a child of this version fine-tunes with (a DatasetNames entry). */
  replaySet: string | null;
  skipped: SkippedEntry[];
  skippedCount: number;
  epochs: number;
  batchSize: number;
  optimizer: { name: 'sgd-nesterov'; momentum: number; weightDecay: number };
  schedule: FineTuneOutput['training']['recipe']['schedule'];
  labelSmoothing: number;
  backend: string;
  /** Engines passed over (e.g. the oneDNN addon not built) and why. */
  backendSkipped: { backend: string; reason: string }[];
  threads: number;
  trainImagesPerSec: number;
  history: FineTuneOutput['training']['history'];
  parentMetrics: { accuracy: number; dataset: string; n: number };
  gate: { promoted: boolean; tolerance: number; reason: string };
  notes: string[];
  startedAt: string;
  seconds: { total: number; training: number; evaluation: number };
}

function pct(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}

export function gateVerdict(
  accuracy: number,
  production: { version: string; accuracy: number },
  tolerance: number,
): RetrainTrainingRecord['gate'] {
  const promoted = accuracy >= production.accuracy - tolerance;
  const against = `production ${production.version} (${pct(production.accuracy)})`;
  // The tolerance is in accuracy points (0.01: one point), not a share of production's accuracy.
  const points = (value: number) => `${(value * 100).toFixed(2)} points`;
  const reason = !promoted
    ? `not promoted: accuracy ${pct(accuracy)} is more than ${points(tolerance)} below ${against}`
    : accuracy >= production.accuracy
      ? `promoted: accuracy ${pct(accuracy)} is at least that of ${against}`
      : `promoted: accuracy ${pct(accuracy)} is ${points(production.accuracy - accuracy)} below ${against}, ` +
        `within the tolerance of ${points(tolerance)}`;
  return { promoted, tolerance, reason };
}

export interface RetrainCardInput {
  jobId: string;
  data: RetrainJobData;
  parent: ModelCard & { version: string };
  uploadLabels: Uint8Array;
  skipped: SkippedEntry[];
  outcome: FineTuneOutput;
  replaySource: string | null;
  replaySet: string | null;
  gate: RetrainTrainingRecord['gate'];
  notes: string[];
  startedAt: string;
  totalSeconds: number;
}

export function buildRetrainCard(input: RetrainCardInput): ModelCard {
  const { data, outcome } = input;
  const perClass = countPerClass(input.uploadLabels);
  const training: RetrainTrainingRecord = {
    recipe: 'retrain',
    jobId: input.jobId,
    upload: {
      key: data.uploadKey,
      sha256: data.uploadSha256,
      bytes: data.uploadBytes,
      fileName: data.fileName,
    },
    images: {
      uploaded: input.uploadLabels.length,
      perClass: Object.fromEntries(LABELS.map((label, c) => [label, perClass[c]!])),
      replay: outcome.mix.replay,
      replaySource: input.replaySource,
      train: outcome.mix.train,
    },
    replaySet: input.replaySet,
    skipped: input.skipped.slice(0, MAX_LISTED_SKIPS),
    skippedCount: input.skipped.length,
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
    backendSkipped: outcome.training.backendSkipped,
    threads: outcome.training.threads,
    trainImagesPerSec: outcome.training.imagesPerSec,
    history: outcome.training.history,
    parentMetrics: {
      accuracy: outcome.parentMetrics.accuracy,
      dataset: outcome.parentMetrics.dataset,
      n: outcome.parentMetrics.n,
    },
    gate: input.gate,
    notes: input.notes,
    startedAt: input.startedAt,
    seconds: {
      total: Math.round(input.totalSeconds),
      training: Math.round(outcome.seconds.training),
      evaluation: Math.round(outcome.seconds.evaluation),
    },
  };
  return {
    parent: input.parent.version,
    createdAt: new Date().toISOString(),
    labels: [...LABELS],
    architecture: input.parent.architecture,
    normalisation: input.parent.normalisation,
    preprocessVersion: PREPROCESS_VERSION,
    training: { ...training },
    metrics: outcome.metrics,
  };
}

/** The promotion gate's verdict a published card records (retrained and imported versions). */
export function gateRecordOf(card: ModelCard): RetrainTrainingRecord['gate'] | undefined {
  const gate = (card.training as { gate?: RetrainTrainingRecord['gate'] }).gate;
  return gate && typeof gate.promoted === 'boolean' ? gate : undefined;
}

/** The training record of a retrained version's card, or undefined for any other card. */
export function retrainRecordOf(card: ModelCard): RetrainTrainingRecord | undefined {
  return card.training.recipe === 'retrain' ? (card.training as unknown as RetrainTrainingRecord) : undefined;
}

/** The job result as the card records it; `promoted` is what actually happened. */
export function resultFromCard(
  card: PublishedCard,
  record: RetrainTrainingRecord,
  promoted: Pick<RetrainResult, 'promoted' | 'reason' | 'rollout'>,
  totalSeconds: number,
): RetrainResult {
  return {
    ...(promoted.rollout !== undefined && { rollout: promoted.rollout }),
    version: card.version,
    parent: card.parent ?? '',
    promoted: promoted.promoted,
    accuracy: card.metrics?.accuracy ?? 0,
    productionAccuracy: record.parentMetrics.accuracy,
    reason: promoted.reason,
    skipped: record.skipped,
    skippedCount: record.skippedCount,
    images: { uploaded: record.images.uploaded, replay: record.images.replay, train: record.images.train },
    evaluation: { dataset: card.metrics?.dataset ?? '', n: card.metrics?.n ?? 0 },
    notes: record.notes,
    seconds: {
      total: totalSeconds,
      training: record.seconds.training,
      evaluation: record.seconds.evaluation,
    },
  };
}
