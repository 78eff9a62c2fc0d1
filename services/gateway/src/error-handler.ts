// Turns every error into the API's JSON error body. Known errors keep their 4xx status and message;
// anything else is our fault: a 500 that names the request id, with the details in the log only.
import type { NextFunction, Request, Response } from 'express';
import { AppError } from './app-error.js';
import { requestContextOf } from './request-context.js';

export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}

/** Errors from Express's own middleware (body parsers) carry a status and a client-safe message. */
interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
}

function clientError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error.status < 500 ? error : undefined;
  const httpError = error as HttpLikeError | undefined;
  const status = httpError?.status ?? httpError?.statusCode;
  if (!status || status < 400 || status >= 500 || httpError?.expose !== true) return undefined;
  if (httpError.type === 'entity.parse.failed') {
    return new AppError('invalid_json', `the request body is not valid JSON: ${httpError.message}`, 400);
  }
  if (httpError.type === 'entity.too.large') {
    return new AppError('payload_too_large', 'the request body is too large', 413);
  }
  return new AppError('bad_request', httpError.message ?? 'bad request', status);
}

export function notFoundHandler(req: Request): never {
  throw new AppError(
    'not_found',
    `no route for ${req.method} ${req.path}; see README.md for the HTTP API`,
    404,
  );
}

export function errorHandler(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const { requestId, log } = requestContextOf(res);
  const known = clientError(error);
  if (known) {
    log.debug({ code: known.code, status: known.status }, known.message);
    sendError(res, known.status, { error: { code: known.code, message: known.message } });
    return;
  }
  const status = error instanceof AppError ? error.status : 500;
  log.error({ err: error }, 'request failed');
  sendError(res, status, {
    error: {
      code: error instanceof AppError ? error.code : 'internal_error',
      message: `something went wrong on our side; quote request id ${requestId} when you report it`,
      requestId,
    },
  });
}

function sendError(res: Response, status: number, body: ErrorBody): void {
  // A handler that already started streaming cannot send a JSON error any more: end it instead.
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).json(body);
}
