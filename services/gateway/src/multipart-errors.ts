// What every multipart route needs to report upload problems alike: sizes in MiB, and busboy's
// parse errors (a truncated or malformed body) as the client's 400.
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
