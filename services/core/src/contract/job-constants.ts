// The options, phases and states of jobs as plain constants (no zod), for the dashboard's bundle
// as well as the schemas in jobs.ts.
/** Fine-tuning epochs a retrain takes. */
export const RETRAIN_EPOCHS = Object.freeze({ default: 3, min: 1, max: 50 });

/**
 * How a retrained version that passes the gate reaches production: promoted at once (`gate`), or
 * through a rollout on live traffic (`shadow`, `canary`) whose criteria promote or roll it back.
 */
export const RETRAIN_PROMOTE_MODES = ['gate', 'shadow', 'canary'] as const;
export type RetrainPromoteMode = (typeof RETRAIN_PROMOTE_MODES)[number];

export const DEFAULT_ROLLOUT_PERCENT: Readonly<Record<Exclude<RetrainPromoteMode, 'gate'>, number>> = {
  canary: 10,
  shadow: 100,
};

export const RETRAIN_PHASES = [
  'downloading',
  'validating',
  'decoding',
  'training',
  'evaluating',
  'publishing',
] as const;
export type RetrainPhase = (typeof RETRAIN_PHASES)[number];

/** The Keras file formats an import accepts: legacy HDF5 (`.h5`) and the Keras 3 archive (`.keras`). */
export const KERAS_FORMATS = ['keras-h5', 'keras-v3'] as const;
export type KerasFormat = (typeof KERAS_FORMATS)[number];

/**
 * How an imported model wants its pixels: `scale01` is RGB / 255 (what a model trained on
 * `keras.datasets.cifar10 / 255` expects), `visionops` the project's own per-channel normalisation.
 */
export const IMPORT_PREPROCESSING = ['scale01', 'visionops'] as const;
export type ImportPreprocessing = (typeof IMPORT_PREPROCESSING)[number];

/** `gate`: promoted when the evaluation gate allows, as a retrain; `never`: published only. */
export const IMPORT_PROMOTE = ['gate', 'never'] as const;
export type ImportPromote = (typeof IMPORT_PROMOTE)[number];

export const IMPORT_PHASES = ['downloading', 'converting', 'evaluating', 'publishing'] as const;
export type ImportPhase = (typeof IMPORT_PHASES)[number];

/** Every phase a job of either kind reports. */
export const JOB_PHASES = [...new Set([...RETRAIN_PHASES, ...IMPORT_PHASES])] as [
  RetrainPhase | ImportPhase,
  ...(RetrainPhase | ImportPhase)[],
];

/** The prefix of a failed job's reason when it was cancelled on request. */
export const CANCELLED_REASON = 'cancelled';

/** A job's state in the API's words (BullMQ's waiting, delayed and prioritized are all `queued`). */
export const API_JOB_STATES = ['queued', 'active', 'completed', 'failed', 'cancelled'] as const;
export type ApiJobState = (typeof API_JOB_STATES)[number];
