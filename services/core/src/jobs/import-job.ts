// The import job (POST /models/import): a Keras model file stored in S3 by the gateway, converted,
// evaluated and published by a trainer. Payload (keys, never data), progress phases and result.
import { z } from 'zod';
import type { EvaluationMetrics } from '../model/model-card.js';
import { MODEL_VERSION_PATTERN } from '../names.js';
import { CIFAR10_NORMALISATION, type Normalisation } from '../preprocess.js';

/** The Keras file formats an import accepts: legacy HDF5 (`.h5`) and the Keras 3 archive (`.keras`). */
export const KERAS_FORMATS = ['keras-h5', 'keras-v3'] as const;
export type KerasFormat = (typeof KERAS_FORMATS)[number];

/**
 * How an imported model wants its pixels: `scale01` is RGB / 255 (what a model trained on
 * `keras.datasets.cifar10 / 255` expects), `visionops` the project's own per-channel normalisation.
 */
export const IMPORT_PREPROCESSING = ['scale01', 'visionops'] as const;
export type ImportPreprocessing = (typeof IMPORT_PREPROCESSING)[number];

export const PREPROCESSING_NORMALISATION: Readonly<Record<ImportPreprocessing, Readonly<Normalisation>>> = {
  scale01: Object.freeze<Normalisation>({ mean: [0, 0, 0], std: [1, 1, 1] }),
  visionops: CIFAR10_NORMALISATION,
};

/** `gate`: promoted when the evaluation gate allows, as a retrain; `never`: published only. */
export const IMPORT_PROMOTE = ['gate', 'never'] as const;
export type ImportPromote = (typeof IMPORT_PROMOTE)[number];

/** The largest Keras file an import takes by default (IMPORT_MAX_UPLOAD_BYTES). */
export const DEFAULT_IMPORT_MAX_BYTES = 100 * 1024 * 1024;

const HDF5_SIGNATURE = Buffer.from('894844460d0a1a0a', 'hex');
const ZIP_SIGNATURE = Buffer.from('504b0304', 'hex');

/**
 * The Keras format of a file from its first bytes (HDF5 signature or a ZIP's local header), or
 * undefined when it is neither. The name a client gave the file is not trusted.
 */
export function sniffKerasFormat(head: Uint8Array): KerasFormat | undefined {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (bytes.subarray(0, 8).equals(HDF5_SIGNATURE)) return 'keras-h5';
  if (bytes.subarray(0, 4).equals(ZIP_SIGNATURE)) return 'keras-v3';
  return undefined;
}

export const KERAS_UPLOAD_EXTENSION: Readonly<Record<KerasFormat, 'h5' | 'keras'>> = {
  'keras-h5': 'h5',
  'keras-v3': 'keras',
};

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');

export const importJobDataSchema = z.object({
  /** S3 key of the uploaded file, `uploads/<sha256>.h5` or `.keras`. */
  uploadKey: z.string().regex(/^uploads\/[0-9a-f]{64}\.(h5|keras)$/),
  uploadSha256: sha256,
  uploadBytes: z.number().int().nonnegative(),
  /** The client's file name, for people reading the job; never used as a path. */
  fileName: z.string().max(255).optional(),
  format: z.enum(KERAS_FORMATS),
  preprocessing: z.enum(IMPORT_PREPROCESSING),
  promote: z.enum(IMPORT_PROMOTE),
  requestedAt: z.iso.datetime(),
  requestId: z.string().max(128).optional(),
  /** Set once the version is published, so a retry only finishes the promotion. */
  publishedVersion: z.string().regex(MODEL_VERSION_PATTERN).optional(),
});
export type ImportJobData = z.infer<typeof importJobDataSchema>;

/** Same file and options give the same job id, so a repeated import finds its job. */
export function importJobId(data: Pick<ImportJobData, 'uploadSha256' | 'preprocessing' | 'promote'>): string {
  return `import-${data.uploadSha256.slice(0, 32)}-${data.preprocessing}-${data.promote}`;
}

export const IMPORT_PHASES = ['downloading', 'converting', 'evaluating', 'publishing'] as const;
export type ImportPhase = (typeof IMPORT_PHASES)[number];

export interface ImportOrigin {
  format: KerasFormat;
  /** As the file records it (`keras_version`), or null when it does not say. */
  kerasVersion: string | null;
  backend: string | null;
  sha256: string;
  fileName: string | null;
  /** `softmax`: the file's softmax was dropped so the model emits logits, as every served model does. */
  output: 'softmax' | 'logits';
}

export interface ImportResult {
  version: string;
  /** Production when the import ran: what the gate compared with. */
  parent: string;
  promoted: boolean;
  accuracy: number;
  productionAccuracy: number;
  reason: string;
  origin: ImportOrigin;
  preprocessing: ImportPreprocessing;
  layers: number;
  parameters: number;
  evaluation: Pick<EvaluationMetrics, 'dataset' | 'n'>;
  /** Kept empty: an import has no files to skip, but job results share the retrain's fields. */
  skipped: never[];
  notes: string[];
  seconds: { total: number; evaluation: number };
}
