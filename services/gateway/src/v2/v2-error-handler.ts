// Errors on the /v2 routes in the Open Inference Protocol's shape, {"error": "<message>"}: the same
// statuses and messages as the rest of the API, without its code object. Faults of ours are a 500
// that names the request id, with the details in the log only.
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../app-error.js';
import { clientError } from '../error-handler.js';
import { requestContextOf } from '../request-context.js';

export function sendV2Error(res: Response, error: AppError): void {
  requestContextOf(res).log.debug({ code: error.code, status: error.status }, error.message);
  res.status(error.status).json({ error: error.message });
}

export function v2NotFound(req: Request): never {
  throw new AppError(
    'not_found',
    `no Open Inference Protocol route for ${req.method} ${req.path}; see docs/architecture.md`,
    404,
  );
}

export function v2ErrorHandler(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const { requestId, log } = requestContextOf(res);
  if (res.headersSent) {
    log.debug({ err: error }, 'error after the answer was sent');
    res.end();
    return;
  }
  const known = clientError(error);
  if (known) {
    sendV2Error(res, known);
    return;
  }
  // A 503 (no model yet, storage away) is a state the client can wait out: its message says so.
  if (error instanceof AppError && error.status === 503) {
    log.warn({ code: error.code }, error.message);
    res.status(503).json({ error: error.message });
    return;
  }
  log.error({ err: error }, 'request failed');
  res.status(error instanceof AppError ? error.status : 500).json({
    error: `something went wrong on our side; quote request id ${requestId} when you report it`,
  });
}
