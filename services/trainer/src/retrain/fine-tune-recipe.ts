// The hyper-parameters of a retrain job's fine-tuning: a short, gentle run from the production
// weights, so the new images are learnt without undoing what the parent model knows.
import { STANDARD_AUGMENTATION } from '../training/augment.js';
import type { TrainOptions } from '../training/data-parallel-trainer.js';

export type FineTuneRecipe = Pick<
  TrainOptions,
  'batchSize' | 'schedule' | 'momentum' | 'weightDecay' | 'labelSmoothing' | 'augmentation'
>;

// The baseline peaks at 0.4 for batch 512; linear scaling gives 0.05 for batch 64, and fine-tuning
// uses a fifth of that, decayed to zero, so a few hundred steps move the weights only a little.
// Momentum, weight decay, smoothing and augmentation match the baseline's recipe.
export const FINE_TUNE_RECIPE: Readonly<FineTuneRecipe> = Object.freeze<FineTuneRecipe>({
  batchSize: 64,
  schedule: { kind: 'cosine', peak: 0.01, end: 0 },
  momentum: 0.9,
  weightDecay: 5e-4,
  labelSmoothing: 0.2,
  augmentation: STANDARD_AUGMENTATION,
});
