// Reads the multipart body of POST /predict into memory under strict limits (image size, number of
// files, fields and parts), and turns multer's errors into API errors that say what to fix.
import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { AppError } from '../app-error.js';
import { fieldLimitError, malformedMultipart, mebibytes, notMultipartHint } from '../multipart-errors.js';

export const SINGLE_FIELD = 'file';
export const MULTI_FIELD = 'files';

export interface PredictUploadLimits {
  maxImageBytes: number;
  maxFiles: number;
}

const EXPECTED_FIELDS = `one image in "${SINGLE_FIELD}" or several in "${MULTI_FIELD}"`;

function uploadError(error: unknown, limits: PredictUploadLimits): unknown {
  if (!(error instanceof multer.MulterError)) return malformedMultipart(error) ?? error;
  const fieldProblem = fieldLimitError(error, EXPECTED_FIELDS);
  if (fieldProblem) return fieldProblem;
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return new AppError(
        'image_too_large',
        `each image must be at most ${mebibytes(limits.maxImageBytes)} (${limits.maxImageBytes} bytes)`,
        413,
      );
    case 'LIMIT_FILE_COUNT':
      return new AppError('too_many_files', `send at most ${limits.maxFiles} images in one request`, 400);
    case 'LIMIT_UNEXPECTED_FILE':
      if (error.field === SINGLE_FIELD) {
        return new AppError(
          'too_many_files',
          `the field "${SINGLE_FIELD}" takes one image; send several in the field "${MULTI_FIELD}"`,
          400,
        );
      }
      if (error.field === MULTI_FIELD) {
        return new AppError('too_many_files', `send at most ${limits.maxFiles} images in one request`, 400);
      }
      return new AppError(
        'unexpected_field',
        `unexpected file field "${error.field ?? ''}": send one image in "${SINGLE_FIELD}" or several in "${MULTI_FIELD}"`,
        400,
      );
    default:
      return new AppError('invalid_multipart', `the multipart body was refused: ${error.message}`, 400);
  }
}

export function predictUpload(limits: PredictUploadLimits) {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: limits.maxImageBytes,
      files: limits.maxFiles,
      fields: 8,
      fieldSize: 1024,
      fieldNameSize: 64,
      parts: limits.maxFiles + 8,
      headerPairs: 200,
    },
  }).fields([
    { name: SINGLE_FIELD, maxCount: 1 },
    { name: MULTI_FIELD, maxCount: limits.maxFiles },
  ]);
  return (req: Request, res: Response, next: NextFunction): void => {
    upload(req, res, (error?: unknown) => next(error === undefined ? undefined : uploadError(error, limits)));
  };
}

export interface UploadedImage {
  filename: string;
  data: Buffer;
}

/** The images of a parsed request and whether they came as `file` (single) or `files`. */
export function uploadedImages(req: Request): { single: boolean; images: UploadedImage[] } {
  const files = (req.files ?? {}) as Record<string, Express.Multer.File[] | undefined>;
  const single = files[SINGLE_FIELD] ?? [];
  const several = files[MULTI_FIELD] ?? [];
  if (single.length > 0 && several.length > 0) {
    throw new AppError(
      'ambiguous_fields',
      `send either one image in "${SINGLE_FIELD}" or several in "${MULTI_FIELD}", not both`,
      400,
    );
  }
  if (single.length === 0 && several.length === 0) {
    throw new AppError(
      'no_file',
      `send a multipart/form-data body with the image in the field "${SINGLE_FIELD}" (or several in "${MULTI_FIELD}")${notMultipartHint(req)}`,
      400,
    );
  }
  const chosen = single.length > 0 ? single : several;
  return {
    single: single.length > 0,
    images: chosen.map((file) => ({ filename: file.originalname, data: file.buffer })),
  };
}
