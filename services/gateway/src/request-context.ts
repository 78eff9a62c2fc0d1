// Gives every request an id (the caller's x-request-id when it is sane, else a new one) and a
// logger carrying it, and logs one line when the response is done.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@visionops/core';

export const REQUEST_ID_HEADER = 'x-request-id';

const saneId = /^[\w.:-]{1,128}$/;

export interface RequestContext {
  requestId: string;
  log: Logger;
}

export function requestContextOf(res: Response): RequestContext {
  return res.locals as RequestContext;
}

export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.get(REQUEST_ID_HEADER);
    const requestId = given && saneId.test(given) ? given : randomUUID();
    const log = logger.child({ requestId });
    Object.assign(res.locals, { requestId, log } satisfies RequestContext);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info(
        { method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
    next();
  };
}
