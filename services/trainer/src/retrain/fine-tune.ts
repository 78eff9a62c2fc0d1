// Fine-tunes a parent model on new images mixed with a replay sample of its old data, then
// measures the result and the parent on the same evaluation set. Retrain jobs and the forgetting
// experiment both run this; gating and publishing are the job's business.
import type { Normalisation } from '@visionops/core';
import { countPerClass, type DecodedDataset } from '@visionops/core/dataset';
import type { BackendPreference, BackendSkip } from '@visionops/core/engine';
import type { ArchitectureSpec, EvaluationMetrics, ModelFiles } from '@visionops/core/model';
import type { EpochRecord } from '../training/checkpoint.js';
import { trainDataParallel, type TrainProgress } from '../training/data-parallel-trainer.js';
import { classBalancedSample, concatDatasets, subsetDataset } from './dataset-subset.js';
import { evaluateInThread } from './evaluate-in-thread.js';
import { FINE_TUNE_RECIPE, type FineTuneRecipe } from './fine-tune-recipe.js';
import { weightsFromFiles } from './model-weights.js';
import type { ReferencePredictions } from './reference-predictions.js';

export interface FineTuneInput {
  parent: { files: ModelFiles; architecture: ArchitectureSpec; normalisation: Normalisation };
  /** The new images (already decoded). */
  upload: DecodedDataset;
  /** The replay sample of the parent's training data; undefined trains on the upload alone. */
  replay: DecodedDataset | undefined;
  /** Replay images mixed in per uploaded image (capped by the replay sample's size). */
  replayRatio: number;
  evaluation: { dataset: DecodedDataset; name: string };
  epochs: number;
  threads: number;
  backend: BackendPreference;
  seed: number;
  recipe?: FineTuneRecipe;
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Called when training is done and evaluation starts. */
  onEvaluating?: () => void;
}

export interface FineTuneOutput {
  files: ModelFiles;
  metrics: EvaluationMetrics;
  parentMetrics: EvaluationMetrics;
  /** The model's answers on the drift reference sample of the evaluation set. */
  reference: ReferencePredictions;
  /** What the model was trained on. */
  mix: { uploaded: number; replay: number; train: number; perClass: number[] };
  training: {
    epochs: number;
    batchSize: number;
    recipe: FineTuneRecipe;
    backend: string;
    backendSkipped: BackendSkip[];
    threads: number;
    imagesPerSec: number;
    history: EpochRecord[];
  };
  seconds: { training: number; evaluation: number };
}

export async function fineTune(input: FineTuneInput): Promise<FineTuneOutput> {
  const recipe = input.recipe ?? FINE_TUNE_RECIPE;
  const wantedReplay = Math.round(input.upload.n * input.replayRatio);
  const replay =
    input.replay && wantedReplay > 0
      ? subsetDataset(
          input.replay,
          classBalancedSample(
            input.replay.labels,
            wantedReplay,
            input.seed,
            countPerClass(input.upload.labels),
          ),
        )
      : undefined;
  const mixed = replay ? concatDatasets(input.upload, replay) : input.upload;
  const threads = Math.max(1, Math.min(input.threads, mixed.n));
  // Small uploads still train: the batch shrinks to what the data allows.
  const batchSize = Math.max(threads, Math.min(recipe.batchSize, mixed.n));

  const trainingStarted = performance.now();
  const result = await trainDataParallel(
    {
      architecture: input.parent.architecture,
      backend: input.backend,
      threads,
      epochs: input.epochs,
      batchSize,
      schedule: recipe.schedule,
      momentum: recipe.momentum,
      weightDecay: recipe.weightDecay,
      labelSmoothing: recipe.labelSmoothing,
      augmentation: recipe.augmentation,
      normalisation: input.parent.normalisation,
      seed: input.seed,
      initialWeights: weightsFromFiles(input.parent.files),
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
      ...(input.onEpoch ? { onEpoch: input.onEpoch } : {}),
    },
    {
      images: mixed.images,
      labels: mixed.labels,
      trainIndices: Int32Array.from({ length: mixed.n }, (_, i) => i),
      validationIndices: new Int32Array(0),
    },
  );
  const trainingSeconds = (performance.now() - trainingStarted) / 1000;

  input.onEvaluating?.();
  const evaluationStarted = performance.now();
  const evaluation = await evaluateInThread(
    {
      backend: input.backend,
      architecture: input.parent.architecture,
      candidateWeights: result.state.weights,
      parentFiles: input.parent.files,
      normalisation: input.parent.normalisation,
      images: input.evaluation.dataset.images,
      labels: input.evaluation.dataset.labels,
      n: input.evaluation.dataset.n,
      datasetName: input.evaluation.name,
    },
    input.signal,
  );
  return {
    // Buffers come back from the thread as plain Uint8Arrays.
    files: {
      modelJson: Buffer.from(evaluation.candidateFiles.modelJson),
      weightsBin: Buffer.from(evaluation.candidateFiles.weightsBin),
    },
    metrics: evaluation.candidate,
    parentMetrics: evaluation.parent,
    reference: evaluation.reference,
    mix: {
      uploaded: input.upload.n,
      replay: replay?.n ?? 0,
      train: mixed.n,
      perClass: countPerClass(mixed.labels, mixed.n),
    },
    training: {
      epochs: input.epochs,
      batchSize,
      recipe,
      backend: result.backend,
      backendSkipped: result.backendSkipped,
      threads: result.threads,
      imagesPerSec: Math.round(result.imagesPerSec),
      history: result.history,
    },
    seconds: { training: trainingSeconds, evaluation: (performance.now() - evaluationStarted) / 1000 },
  };
}
