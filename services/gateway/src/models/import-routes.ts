// POST /models/import (admin): a Keras model file, checked for its format, stored in S3 by content
// and handed to a trainer as an import job, which converts, evaluates, publishes and maybe promotes it.
import { open, rm } from 'node:fs/promises';
import { Router } from 'express';
import type { Config } from '@visionops/core';
import { sniffKerasFormat } from '@visionops/core/jobs';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { requireAdmin } from '../admin-auth.js';
import { AppError } from '../app-error.js';
import { requestContextOf } from '../request-context.js';
import { statusUrlOf } from '../retrain/job-view.js';
import type { RetrainJobs } from '../retrain/retrain-jobs.js';
import { fromBackends } from '../retrain/retrain-routes.js';
import { fileUpload, uploadedFile, ZIP_FIELD } from '../retrain/retrain-upload.js';
import { importAcceptedSchema, importFieldsSchema, importFormSchema } from './import-schemas.js';

export const importRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/models/import',
    tag: 'models',
    admin: true,
    summary:
      'Import a Keras model (.h5 or .keras): a trainer converts it, evaluates it on the evaluation set, ' +
      'publishes it as a new version and promotes it through the usual gate; follow it at statusUrl',
    body: { contentType: 'multipart/form-data', schema: importFormSchema, required: true },
    responses: {
      202: { description: 'the import job', schema: importAcceptedSchema },
      400: { description: 'no file, not an HDF5 or Keras 3 file, or a wrong field; the message says what to fix' },
      413: { description: 'the file is larger than IMPORT_MAX_UPLOAD_BYTES' },
      503: { description: 'the job queue (Redis) or the storage (S3) is unavailable' },
    },
  },
];

async function firstBytes(path: string, count: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(count);
    const { bytesRead } = await file.read(buffer, 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

export function importRoutes(config: Pick<Config, 'ADMIN_TOKEN' | 'IMPORT_MAX_UPLOAD_BYTES'>, jobs: RetrainJobs): Router {
  const router = Router();
  router.post(
    '/models/import',
    requireAdmin(config.ADMIN_TOKEN),
    fileUpload({
      maxBytes: config.IMPORT_MAX_UPLOAD_BYTES,
      what: 'the Keras model file',
      expected: `the model in "${ZIP_FIELD}" and optionally "preprocessing" and "promote"`,
      tooLargeHint: 'raise IMPORT_MAX_UPLOAD_BYTES if the model is really that large',
    }),
    async (req, res) => {
      const file = uploadedFile(req, 'the Keras model file (.h5 or .keras)');
      try {
        const options = parseRequest(importFieldsSchema, req.body ?? {}, 'form fields');
        const format = sniffKerasFormat(await firstBytes(file.path, 8));
        if (!format) {
          throw new AppError(
            'not_a_keras_file',
            'the file is neither an HDF5 file (Keras .h5) nor a ZIP archive (Keras 3 .keras); ' +
              'save the model with model.save("model.h5") or model.save("model.keras")',
            400,
          );
        }
        const { requestId, log } = requestContextOf(res);
        const submitted = await fromBackends(() => jobs.submitImport(file, { format, ...options }, requestId));
        log.info({ jobId: submitted.jobId, existing: submitted.existing, sha256: file.sha256, format }, 'import accepted');
        res.status(202).json({
          jobId: submitted.jobId,
          statusUrl: statusUrlOf(submitted.jobId),
          existing: submitted.existing,
          format,
        });
      } finally {
        await rm(file.path, { force: true });
      }
    },
  );
  return router;
}
