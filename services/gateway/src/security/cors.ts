// Cross-origin access for browsers: only the exact origins in CORS_ORIGINS get CORS headers (and
// their preflights an answer); every other origin gets none, so the browser keeps it same-origin.
import type { RequestHandler } from 'express';
import cors from 'cors';

export function corsAllowList(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  if (allowed.size === 0) return (_req, _res, next) => next();
  const middleware = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: [
      'X-Request-Id',
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
    ],
    // The admin token travels in a header, never a cookie: no credentialed requests to allow.
    credentials: false,
    maxAge: 600,
  });
  return (req, res, next) => {
    // Answers differ by origin (headers or none): caches must key on it, refused origins included.
    res.vary('Origin');
    middleware(req, res, next);
  };
}
