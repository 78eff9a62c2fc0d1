// The import job (POST /models/import): a Keras model file stored in S3 by the gateway, converted,
// evaluated and published by a trainer. Payload (keys, never data), progress phases and result.
import { z } from 'zod';
import {
  IMPORT_PREPROCESSING,
  IMPORT_PROMOTE,
  KERAS_FORMATS,
  type ImportPreprocessing,
  type KerasFormat,
} from '../contract/jobs.js';
import { MODEL_VERSION_PATTERN } from '../names.js';
import { CIFAR10_NORMALISATION, type Normalisation } from '../preprocess.js';

export const PREPROCESSING_NORMALISATION: Readonly<Record<ImportPreprocessing, Readonly<Normalisation>>> = {
  scale01: Object.freeze<Normalisation>({ mean: [0, 0, 0], std: [1, 1, 1] }),
  visionops: CIFAR10_NORMALISATION,
};

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
