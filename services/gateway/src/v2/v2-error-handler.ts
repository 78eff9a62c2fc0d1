// Errors on the /v2 routes in the Open Inference Protocol's shape, {"error": "<message>"}: the same
// statuses, messages and logging as the rest of the API (error-handler.ts), without its code object.
import type { Request, Response } from 'express';
import { AppError } from '../app-error.js';
import { errorHandlerFor, sendAppError, type ErrorBodyOf } from '../error-handler.js';

const v2ErrorBody: ErrorBodyOf = (_code, message) => ({ error: message });

export function sendV2Error(res: Response, error: AppError): void {
  sendAppError(res, error, v2ErrorBody);
}

export function v2NotFound(req: Request): never {
  throw new AppError(
    'not_found',
    `no Open Inference Protocol route for ${req.method} ${req.path}; see docs/architecture.md`,
    404,
  );
}

export const v2ErrorHandler = errorHandlerFor(v2ErrorBody);
