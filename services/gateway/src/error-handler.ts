// Turns every error into the API's JSON error body. Known errors keep their 4xx status and message,
// and a 503 its message (a state to wait out); anything else is our fault: a 5xx that names the
// request id, with the details in the log only.
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

/** The error as the client's own mistake (4xx), or undefined when it is ours. */
export function clientError(error: unknown): AppError | undefined {
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
    `no route for ${req.method} ${req.path}; see /docs (or docs/api.md) for the HTTP API`,
    404,
  );
}

/** How an API writes an error body: the main one as `ErrorBody`, /v2 as `{"error": message}`. */
export type ErrorBodyOf = (code: string, message: string, requestId?: string) => object;

const apiErrorBody: ErrorBodyOf = (code, message, requestId): ErrorBody => ({
  error: { code, message, ...(requestId !== undefined && { requestId }) },
});

/**
 * The error handler of an API whose bodies `bodyOf` writes. A client error (4xx) and a 503 (no
 * model yet, Redis or S3 away: a state the client can wait out) keep their message, written for the
 * client; any other fault is a 5xx that names the request id, with the details in the log only.
 */
export function errorHandlerFor(bodyOf: ErrorBodyOf) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const { requestId, log } = requestContextOf(res);
    if (res.headersSent) {
      // The answer is out already (a body cut off at its limit, whose parser then fails): end it.
      log.debug({ err: error }, 'error after the answer was sent');
      res.end();
      return;
    }
    const known = clientError(error);
    if (known) {
      sendAppError(res, known, bodyOf);
      return;
    }
    if (error instanceof AppError && error.status === 503) {
      log.warn({ code: error.code, err: error.cause }, error.message);
      res.status(503).json(bodyOf(error.code, error.message));
      return;
    }
    log.error({ err: error }, 'request failed');
    res
      .status(error instanceof AppError ? error.status : 500)
      .json(
        bodyOf(
          error instanceof AppError ? error.code : 'internal_error',
          `something went wrong on our side; quote request id ${requestId} when you report it`,
          requestId,
        ),
      );
  };
}

export const errorHandler = errorHandlerFor(apiErrorBody);

/** Answers with a client error at once, outside the middleware chain (for example mid-upload). */
export function sendAppError(res: Response, error: AppError, bodyOf: ErrorBodyOf = apiErrorBody): void {
  requestContextOf(res).log.debug({ code: error.code, status: error.status }, error.message);
  res.status(error.status).json(bodyOf(error.code, error.message));
}
