// What every multipart route needs to report upload problems alike: sizes in MiB, busboy's parse
// errors (a truncated or malformed body) and its field limits as the client's 400, and a hint
// when the body is not multipart at all.
import type { Request } from 'express';
import multer from 'multer';
import { AppError } from './app-error.js';

export function mebibytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

/** An AppError for a body that is not readable multipart, or undefined for any other error. */
export function malformedMultipart(error: unknown): AppError | undefined {
  if (error instanceof Error && /multipart|boundary|unexpected end of form/i.test(error.message)) {
    return new AppError('invalid_multipart', `the multipart body could not be read: ${error.message}`, 400);
  }
  return undefined;
}

/**
 * An AppError for multer's limits on form fields and parts (a body stuffed with fields, long names
 * or values), or undefined for the file limits each route words itself. `expected` names the
 * fields the route takes.
 */
export function fieldLimitError(error: unknown, expected: string): AppError | undefined {
  if (!(error instanceof multer.MulterError)) return undefined;
  switch (error.code) {
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return new AppError('too_many_fields', `the form has too many fields; send only ${expected}`, 400);
    case 'LIMIT_FIELD_KEY':
      return new AppError('field_name_too_long', `a form field name is too long; send only ${expected}`, 400);
    case 'LIMIT_FIELD_VALUE':
      return new AppError(
        'field_too_large',
        `the form field "${error.field ?? ''}" is too long; send only ${expected}`,
        400,
      );
    default:
      return undefined;
  }
}

/** Says what the body was when it is not multipart/form-data, for messages that ask for it. */
export function notMultipartHint(req: Request): string {
  const type = req.get('content-type');
  if (req.is('multipart/form-data')) return '';
  return type
    ? ` (this body is ${type.split(';')[0]!.trim()}, not multipart/form-data)`
    : ' (this body has no Content-Type)';
}
