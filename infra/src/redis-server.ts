// The Redis of the local stack: the one at REDIS_URL when it answers, otherwise a private
// redis-server from PATH with its data under DATA_DIR/redis.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { urlForLog, type Logger } from '@visionops/core';
import { findExecutable } from './find-executable.js';
import { freePort } from './free-port.js';
import { StackError } from './stack-error.js';
import { waitFor } from './wait-for.js';

/** A connection that fails fast: one attempt, no reconnects, no queued commands. */
function quickClient(url: string, timeoutMs: number): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Failures surface through the rejected promises below; without a listener ioredis prints them.
  client.on('error', () => {});
  return client;
}

/** True when a Redis at `url` answers PING within `timeoutMs`. */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = quickClient(url, timeoutMs);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export interface RedisServer {
  url: string;
  pid: number;
  /** SHUTDOWN (Redis saves its data), then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartRedisOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  pathEnv?: string | undefined;
  logger: Logger;
  signal?: AbortSignal | undefined;
}

export function missingRedisMessage(url: string): string {
  return [
    `Redis does not answer at ${url} and there is no redis-server on PATH to start a private one.`,
    'Install one, or point REDIS_URL at a Redis that runs:',
    '  - Debian/Ubuntu: sudo apt-get install redis-server',
    '  - macOS:         brew install redis',
    '  - Docker:        docker compose up redis',
  ].join('\n');
}

export async function startRedisServer(options: StartRedisOptions): Promise<RedisServer> {
  const executable = findExecutable('redis-server', options.pathEnv);
  if (!executable) throw new StackError(missingRedisMessage('(none given)'));
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port || (await freePort());
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dataDir],
    // Queues must never lose a job to eviction; the append-only file keeps them across restarts.
    ...['--appendonly', 'yes', '--maxmemory-policy', 'noeviction'],
    ...['--daemonize', 'no', '--loglevel', 'warning'],
  ];
  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Kept for the error message when it fails to start; its routine output is not worth showing.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-2000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = once(child, 'exit').then(([code]: unknown[]) => {
    exitCode = (code as number | null) ?? null;
  });
  child.on('error', (error) => options.logger.error({ err: error }, 'redis-server failed'));

  const stop = async (graceMs = 5000) => {
    if (exitCode !== undefined) return;
    const client = quickClient(url, 1000);
    try {
      await client.connect();
      await client.shutdown();
    } catch {
      // SHUTDOWN never replies: the server closes the connection as it exits.
    } finally {
      client.disconnect();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitFor(
      async () => {
        if (exitCode !== undefined) {
          throw new StackError(`redis-server exited (code ${exitCode}) while starting:\n${output.trim()}`);
        }
        return pingRedis(url, 500);
      },
      {
        what: `the private redis-server at ${url} to answer PING`,
        timeoutMs: 15_000,
        signal: options.signal,
      },
    );
  } catch (error) {
    await stop(1000);
    throw error;
  }
  options.logger.info({ url, dataDir: options.dataDir, pid: child.pid }, 'started a private redis-server');
  return { url, pid: child.pid ?? 0, stop };
}

export interface ChosenRedis {
  url: string;
  /** Set when the stack started its own redis-server; undefined when REDIS_URL was used. */
  server: RedisServer | undefined;
}

/** Uses REDIS_URL when it answers PING, otherwise starts a private redis-server. */
export async function useOrStartRedis(redisUrl: string, options: StartRedisOptions): Promise<ChosenRedis> {
  if (await pingRedis(redisUrl)) {
    options.logger.info({ url: urlForLog(redisUrl) }, 'using the Redis at REDIS_URL');
    return { url: redisUrl, server: undefined };
  }
  if (!findExecutable('redis-server', options.pathEnv)) throw new StackError(missingRedisMessage(redisUrl));
  options.logger.info(
    { url: urlForLog(redisUrl) },
    'no Redis answers at REDIS_URL; starting a private redis-server',
  );
  const server = await startRedisServer(options);
  return { url: server.url, server };
}
