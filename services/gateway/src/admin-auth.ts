// Guards admin routes with `Authorization: Bearer <ADMIN_TOKEN>` when ADMIN_TOKEN is set. Tokens are
// compared as SHA-256 digests with timingSafeEqual: constant time, whatever their lengths.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from './app-error.js';

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function requireAdmin(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!expected) return next();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="visionops admin"');
      throw new AppError(
        'unauthorized',
        'this is an admin route: send Authorization: Bearer <ADMIN_TOKEN>',
        401,
      );
    }
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      throw new AppError('forbidden', 'the bearer token is not the admin token', 403);
    }
    next();
  };
}
