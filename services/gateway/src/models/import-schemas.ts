// The request and response shapes of POST /models/import and GET /models/:version/export.
import { z } from 'zod';
import { IMPORT_PREPROCESSING, IMPORT_PROMOTE } from '@visionops/core/jobs';

export const importFieldsSchema = z.object({
  preprocessing: z
    .enum(IMPORT_PREPROCESSING, {
      error: `preprocessing must be one of ${IMPORT_PREPROCESSING.join(', ')}`,
    })
    .default('scale01'),
  promote: z
    .enum(IMPORT_PROMOTE, { error: `promote must be one of ${IMPORT_PROMOTE.join(', ')}` })
    .default('gate'),
});

export const importFormSchema = z
  .object({
    file: z.string().meta({
      format: 'binary',
      description: 'a Keras model: legacy HDF5 (.h5) or a Keras 3 archive (.keras)',
    }),
    preprocessing: z.enum(IMPORT_PREPROCESSING).optional().meta({
      description:
        '`scale01` (default): RGB / 255, as a model trained on keras.datasets.cifar10 / 255 expects; ' +
        "`visionops`: the project's per-channel normalisation",
    }),
    promote: z.enum(IMPORT_PROMOTE).optional().meta({
      description: '`gate` (default): promoted when the evaluation gate allows; `never`: published only',
    }),
  })
  .meta({ id: 'ImportForm' });

export const importAcceptedSchema = z
  .object({
    jobId: z.string(),
    statusUrl: z.string(),
    existing: z
      .boolean()
      .meta({ description: 'the same file with the same options was already queued or running: this is its job' }),
    format: z.enum(['keras-h5', 'keras-v3']),
  })
  .meta({ id: 'ImportAccepted' });

export const EXPORT_FORMATS = ['keras-h5', 'tfjs'] as const;

export const exportQuerySchema = z.object({
  format: z
    .enum(EXPORT_FORMATS, { error: `format must be one of ${EXPORT_FORMATS.join(', ')}` })
    .default('keras-h5'),
});
