// Receives a multipart body with one file in the field `file`, streamed to a temporary file under
// the upload size limit, plus a few small fields: POST /retrain (a ZIP and optional `epochs`,
// `promote` and `rolloutPercent`) and POST /models/import (a Keras model and its options).
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

export interface FileUploadOptions {
  maxBytes: number;
  /** What the file is, for messages: "the ZIP", "the Keras model file". */
  what: string;
  /** The fields the route takes, for messages: `the ZIP in "file" and optionally "epochs"`. */
  expected: string;
  /** What to do about a file over maxBytes. */
  tooLargeHint: string;
}

function uploadError(error: unknown, options: FileUploadOptions): unknown {
  if (!(error instanceof multer.MulterError)) return malformedMultipart(error) ?? error;
  const fieldProblem = fieldLimitError(error, options.expected);
  if (fieldProblem) return fieldProblem;
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return new AppError(
        'upload_too_large',
        `${options.what} must be at most ${mebibytes(options.maxBytes)} (${options.maxBytes} bytes); ${options.tooLargeHint}`,
        413,
      );
    case 'LIMIT_FILE_COUNT':
    case 'LIMIT_UNEXPECTED_FILE':
      return new AppError('unexpected_file', `send exactly one file, in the form field "${ZIP_FIELD}"`, 400);
    default:
      return new AppError('invalid_multipart', `the multipart body was refused: ${error.message}`, 400);
  }
}

/** Middleware that leaves the file on disk (req.file with path, size and sha256) and the fields in req.body. */
export function fileUpload(options: FileUploadOptions) {
  const directory = join(tmpdir(), 'visionops-uploads');
  mkdirSync(directory, { recursive: true });
  const upload = multer({
    storage: new HashingDiskStorage(directory),
    limits: {
      fileSize: options.maxBytes,
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
      next(error === undefined ? undefined : uploadError(error, options)),
    );
  };
}

export function retrainUpload(maxBytes: number) {
  return fileUpload({
    maxBytes,
    what: 'the ZIP',
    expected: `the ZIP in "${ZIP_FIELD}" and optionally "epochs"`,
    tooLargeHint: 'split the images into several uploads',
  });
}

export type UploadedZip = HashedFile & { originalname: string };

/** The file of a fileUpload() request; a 400 that names the field when there is none. */
export function uploadedFile(req: Request, what: string): UploadedZip {
  const file = req.file as (Express.Multer.File & HashedFile) | undefined;
  if (!file) {
    throw new AppError(
      'missing_file',
      `send ${what} as multipart/form-data in the field "${ZIP_FIELD}"${notMultipartHint(req)}`,
      400,
    );
  }
  return file;
}

export function uploadedZip(req: Request): UploadedZip {
  return uploadedFile(req, 'the ZIP of class folders');
}
