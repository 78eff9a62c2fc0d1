// Receives the multipart body of POST /retrain: one ZIP in the field `file`, streamed to a temporary
// file under the upload size limit, and optional `epochs`, `promote` and `rolloutPercent` fields.
// multer's errors become API errors.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { AppError } from '../app-error.js';
import { fieldLimitError, malformedMultipart, mebibytes, notMultipartHint } from '../multipart-errors.js';
import { HashingDiskStorage, type HashedFile } from './hashing-disk-storage.js';

export const ZIP_FIELD = 'file';

function uploadError(error: unknown, maxBytes: number): unknown {
  if (!(error instanceof multer.MulterError)) return malformedMultipart(error) ?? error;
  const fieldProblem = fieldLimitError(
    error,
    `the ZIP in "${ZIP_FIELD}" and optionally "epochs", "promote" and "rolloutPercent"`,
  );
  if (fieldProblem) return fieldProblem;
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return new AppError(
        'upload_too_large',
        `the ZIP must be at most ${mebibytes(maxBytes)} (${maxBytes} bytes); split the images into several uploads`,
        413,
      );
    case 'LIMIT_FILE_COUNT':
    case 'LIMIT_UNEXPECTED_FILE':
      return new AppError('unexpected_file', `send exactly one ZIP, in the form field "${ZIP_FIELD}"`, 400);
    default:
      return new AppError('invalid_multipart', `the multipart body was refused: ${error.message}`, 400);
  }
}

/** Middleware that leaves the ZIP on disk (req.file with path, size and sha256) and the fields in req.body. */
export function retrainUpload(maxBytes: number) {
  const directory = join(tmpdir(), 'visionops-uploads');
  mkdirSync(directory, { recursive: true });
  const upload = multer({
    storage: new HashingDiskStorage(directory),
    limits: {
      fileSize: maxBytes,
      files: 1,
      fields: 4,
      fieldSize: 1024,
      fieldNameSize: 64,
      parts: 6,
      headerPairs: 200,
    },
  }).single(ZIP_FIELD);
  return (req: Request, res: Response, next: NextFunction): void => {
    upload(req, res, (error?: unknown) =>
      next(error === undefined ? undefined : uploadError(error, maxBytes)),
    );
  };
}

export type UploadedZip = HashedFile & { originalname: string };

export function uploadedZip(req: Request): UploadedZip {
  const file = req.file as (Express.Multer.File & HashedFile) | undefined;
  if (!file) {
    throw new AppError(
      'missing_file',
      `send the ZIP of class folders as multipart/form-data in the field "${ZIP_FIELD}"${notMultipartHint(req)}`,
      400,
    );
  }
  return file;
}
