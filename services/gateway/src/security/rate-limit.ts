// Per-client rate limits shared by every gateway replica: one counter per client (an IPv4 address or
// an IPv6 /64) in Redis (one command per request, awaited only near the limit), 429 with Retry-After
// and RateLimit-* headers once it is used up.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { OutageLog, RedisKeys, type Logger } from '@visionops/core';
import { AppError } from '../app-error.js';
import { withTimeout } from '../with-timeout.js';
import { rateLimitKey } from './client-key.js';

export interface RateLimitOptions {
  /** Names the counters (`predict`, `retrain`) and the log lines. */
  name: string;
  /** Requests one client address may make per window; 0 turns the limit off. */
  points: number;
  windowSeconds: number;
  redis: Redis;
  queuePrefix: string;
  logger: Logger;
  /** How long a request waits for Redis's verdict before it is counted in memory instead. */
  redisAnswerMs?: number;
}

/** The limit's state for one response, as the RateLimit-* headers state it. */
function setRateLimitHeaders(res: Response, limit: number, remaining: number, msBeforeReset: number): void {
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, remaining)));
  res.setHeader('RateLimit-Reset', String(Math.ceil(msBeforeReset / 1000)));
}

/** What a gateway last heard from Redis about one client, counted down by its own admissions since. */
interface KnownState {
  remaining: number;
  resetAt: number;
}

// Bounds the memory of known clients; past it the map starts afresh (those clients wait for Redis once).
const MAX_KNOWN_CLIENTS = 100_000;

function describeWindow(seconds: number): string {
  if (seconds === 60) return 'minute';
  if (seconds === 3600) return 'hour';
  return `${seconds} s`;
}

// A Redis that keeps its connection open but stops answering must not hold every request: past
// this the request is counted in memory, as during an outage. A healthy answer takes well under 1 ms.
const DEFAULT_REDIS_ANSWER_MS = 250;

/**
 * A middleware that counts the request against its client's limit, or passes everything through
 * when the limit is 0. While Redis cannot answer, requests are counted in this process's memory
 * instead (each replica then limits on its own): a Redis outage must never fail a prediction.
 */
export function rateLimit(options: RateLimitOptions): RequestHandler {
  const { name, points, windowSeconds, logger, redisAnswerMs = DEFAULT_REDIS_ANSWER_MS } = options;
  if (points === 0) return (_req, _res, next) => next();
  const shared = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: RedisKeys.rateLimit(options.queuePrefix, name),
    points,
    duration: windowSeconds,
    // A client that is reconnecting would hold the request until its retries give up; fail over at once.
    rejectIfRedisNotReady: true,
  });
  const local = new RateLimiterMemory({ points, duration: windowSeconds });
  const outage = new OutageLog(
    logger,
    'rate limit store unavailable; counting per gateway in memory until it is back',
    'rate limit counted in Redis again',
    { limit: name },
  );

  // A client far from its limit does not wait for Redis: its request is admitted at once and
  // counted in Redis in the background, which keeps a Redis round trip out of every prediction's
  // latency. Only a client whose last known remainder is within `slack` of the limit (or unknown)
  // waits for Redis's verdict, so the limit stays exact unless more than `slack` of one client's
  // requests are in flight across replicas at the moment it crosses, and any limit up to `slack`
  // is always exact.
  const slack = Math.max(16, Math.ceil(points / 10));
  const known = new Map<string, KnownState>();
  const remember = (key: string, state: RateLimiterRes) => {
    const now = Date.now();
    const previous = known.get(key);
    // Within one window the lower count is the newer: answers to earlier requests arrive late.
    if (previous && previous.resetAt > now) {
      previous.remaining = Math.min(previous.remaining, state.remainingPoints);
      return;
    }
    if (known.size >= MAX_KNOWN_CLIENTS) known.clear();
    known.set(key, { remaining: state.remainingPoints, resetAt: now + state.msBeforeNext });
  };

  async function consume(key: string): Promise<RateLimiterRes> {
    try {
      const state = await withTimeout(
        shared.consume(key),
        redisAnswerMs,
        `Redis did not answer within ${redisAnswerMs} ms`,
      );
      outage.recovered();
      return state;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) {
        outage.recovered();
        throw outcome;
      }
      outage.failed(outcome);
      return local.consume(key);
    }
  }

  return (req: Request, res: Response, next: NextFunction): void => {
    // req.ip follows TRUST_PROXY: the proxy's client, not the proxy, when one is trusted.
    // A forwarded value that is no address at all counts as the connection's own address.
    const key = rateLimitKey(req.ip ?? '') ?? rateLimitKey(req.socket.remoteAddress ?? '') ?? 'unknown';
    const cached = known.get(key);
    const now = Date.now();
    if (cached && cached.resetAt > now && cached.remaining > slack) {
      cached.remaining -= 1;
      setRateLimitHeaders(res, points, cached.remaining, cached.resetAt - now);
      consume(key).then(
        (state) => remember(key, state),
        (outcome: unknown) => {
          if (outcome instanceof RateLimiterRes) remember(key, outcome);
          else known.delete(key);
        },
      );
      next();
      return;
    }
    consume(key).then(
      (state) => {
        remember(key, state);
        setRateLimitHeaders(res, points, state.remainingPoints, state.msBeforeNext);
        next();
      },
      (outcome: unknown) => {
        if (!(outcome instanceof RateLimiterRes)) {
          next(outcome);
          return;
        }
        remember(key, outcome);
        setRateLimitHeaders(res, points, outcome.remainingPoints, outcome.msBeforeNext);
        const retryAfter = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
        res.setHeader('Retry-After', String(retryAfter));
        next(
          new AppError(
            'rate_limited',
            `too many ${req.method} ${req.path} requests from your address: at most ${points} per ` +
              `${describeWindow(windowSeconds)}; retry in ${retryAfter} s`,
            429,
          ),
        );
      },
    );
  };
}
