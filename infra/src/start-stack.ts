// The local stack behind `npm start`: Redis, S3, the gateway and a trainer, started in that order
// and stopped in reverse. `startStack()` is the same launcher for tests.
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  loadConfig,
  loadConfigOrExit,
  repoRoot,
  type Config,
  type Logger,
} from '@visionops/core';
import { startEmbeddedS3, type EmbeddedS3 } from './embedded-s3.js';
import { freePort, isPortFree, preferredOrFreePort } from './free-port.js';
import { useOrStartRedis, type RedisServer } from './redis-server.js';
import { ensureBucket, type S3Settings } from './s3-bucket.js';
import { spawnService, type ServiceExit, type ServiceProcess } from './service-process.js';
import { StackError } from './stack-error.js';

export type ServiceName = 'gateway' | 'trainer';

export const entryFiles: Record<ServiceName, string> = {
  gateway: 'services/gateway/src/main.ts',
  trainer: 'services/trainer/src/main.ts',
};

/** The same services as `npm run build` compiles them (what the Docker image runs). */
export const compiledEntryFiles: Record<ServiceName, string> = {
  gateway: 'services/gateway/dist/main.js',
  trainer: 'services/trainer/dist/main.js',
};

const EMBEDDED_S3_PORT = 9000;

export interface StackOptions {
  /** Settings as environment variables; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Where a private Redis and the embedded S3 keep their data; DATA_DIR by default. */
  dataDir?: string;
  /** Ports: 0 picks a free one. Defaults: PORT, TRAINER_HEALTH_PORT, any free port, 9000 when free. */
  gatewayPort?: number;
  trainerHealthPort?: number;
  redisPort?: number;
  s3Port?: number;
  /** Which services to run; both by default. */
  services?: readonly ServiceName[];
  /** Run the services from their compiled build (`npm run build`) instead of through tsx. */
  compiled?: boolean;
  logger?: Logger;
  /** Aborting it during start-up stops what was started and rejects. */
  signal?: AbortSignal;
  /** How long a service may take to stop after SIGTERM before it is killed. */
  stopGraceMs?: number;
  /** How long a service may take until its /health answers. */
  healthTimeoutMs?: number;
}

export type StackEnd = { reason: 'stopped' } | { reason: 'crashed'; exit: ServiceExit };

export interface Stack {
  redisUrl: string;
  s3Endpoint: string;
  bucket: string;
  gatewayUrl: string | undefined;
  trainerHealthUrl: string | undefined;
  /** The Redis and S3 the stack started itself (false: it uses the ones configured). */
  started: { redis: boolean; s3: boolean };
  /** Child processes: the services, and redis-server when the stack started it. */
  processes: { name: string; pid: number }[];
  /** Resolves once everything is stopped: after stop(), or after a service died on its own. */
  finished: Promise<StackEnd>;
  stop(): Promise<void>;
}

/** The host to put in URLs for a service listening on `host`: a wildcard address is not dialable. */
export function dialableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** Where the services' shared backends are, as startStack settled them. */
export interface Backends {
  redisUrl: string;
  s3Endpoint: string;
  bucket: string;
  dataDir: string;
}

/** The environment of a service child process: the caller's, pointed at the stack's Redis and S3. */
export function serviceEnv(env: NodeJS.ProcessEnv, config: Config, backends: Backends): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...env,
    REDIS_URL: backends.redisUrl,
    S3_ENDPOINT: backends.s3Endpoint,
    S3_ACCESS_KEY: config.S3_ACCESS_KEY,
    S3_SECRET_KEY: config.S3_SECRET_KEY,
    S3_REGION: config.S3_REGION,
    S3_BUCKET: backends.bucket,
    DATA_DIR: backends.dataDir,
    HOST: config.HOST,
  };
}

async function servicePort(requested: number, host: string, variable: string): Promise<number> {
  if (requested === 0) return freePort(host);
  if (await isPortFree(requested, host)) return requested;
  throw new StackError(
    `port ${requested} on ${host} is in use: stop what uses it, or set ${variable} to another port (0 picks a free one)`,
  );
}

async function checkBucket(settings: S3Settings, bucket: string, embedded: boolean, logger: Logger) {
  try {
    const outcome = await ensureBucket(settings, bucket);
    logger.info({ endpoint: settings.endpoint, bucket, outcome }, 'S3 bucket ready');
  } catch (error) {
    const hint = embedded
      ? 'the embedded S3 server did not accept the request'
      : 'check S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY, or unset S3_ENDPOINT to use the embedded server';
    throw new StackError(
      `S3 at ${settings.endpoint} failed for bucket "${bucket}": ${(error as Error).message}; ${hint}`,
      { cause: error },
    );
  }
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const logger =
    options.logger ?? createLogger('stack', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const dataDir = options.dataDir ? resolve(options.dataDir) : config.DATA_DIR;
  const wanted = options.services ?? (['gateway', 'trainer'] as const);
  const entries = options.compiled ? compiledEntryFiles : entryFiles;
  const unbuilt = wanted.filter((name) => !existsSync(resolve(repoRoot, entries[name])));
  if (unbuilt.length > 0) {
    throw new StackError(
      `${unbuilt.map((name) => entries[name]).join(' and ')} missing: run \`npm run build\` first`,
    );
  }
  const graceMs = options.stopGraceMs ?? 10_000;
  const host = config.HOST;
  const urlHost = dialableHost(host);

  let redisServer: RedisServer | undefined;
  let embeddedS3: EmbeddedS3 | undefined;
  const services: ServiceProcess[] = [];
  let settle!: (end: StackEnd) => void;
  const finished = new Promise<StackEnd>((resolveEnd) => (settle = resolveEnd));

  let crash: ServiceExit | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Services first (they use Redis and S3), then what they used.
      await Promise.all(services.map((service) => service.stop(graceMs)));
      const resources: [string, { stop(): Promise<void> } | undefined][] = [
        ['redis-server', redisServer],
        ['embedded S3', embeddedS3],
      ];
      for (const [name, resource] of resources) {
        try {
          await resource?.stop();
        } catch (error) {
          logger.error({ err: error }, `could not stop ${name} cleanly`);
        }
      }
      logger.info('stack stopped');
      settle(crash ? { reason: 'crashed', exit: crash } : { reason: 'stopped' });
    })());

  try {
    const redis = await useOrStartRedis(config.REDIS_URL, {
      dataDir: resolve(dataDir, 'redis'),
      port: options.redisPort ?? 0,
      pathEnv: env.PATH ?? process.env.PATH,
      logger,
      signal: options.signal,
    });
    redisServer = redis.server;

    let s3Endpoint: string;
    if (env.S3_ENDPOINT) {
      s3Endpoint = config.S3_ENDPOINT;
    } else {
      const port = options.s3Port ?? (await preferredOrFreePort(EMBEDDED_S3_PORT));
      embeddedS3 = await startEmbeddedS3({
        directory: resolve(dataDir, 's3'),
        port,
        accessKey: config.S3_ACCESS_KEY,
        secretKey: config.S3_SECRET_KEY,
      });
      s3Endpoint = embeddedS3.endpoint;
      logger.info(
        { endpoint: s3Endpoint, dataDir: resolve(dataDir, 's3') },
        'started the embedded S3 server',
      );
    }
    const s3Settings = {
      endpoint: s3Endpoint,
      accessKey: config.S3_ACCESS_KEY,
      secretKey: config.S3_SECRET_KEY,
      region: config.S3_REGION,
    };
    await checkBucket(s3Settings, config.S3_BUCKET, embeddedS3 !== undefined, logger);
    options.signal?.throwIfAborted();

    const gatewayPort = wanted.includes('gateway')
      ? await servicePort(options.gatewayPort ?? config.PORT, host, 'PORT')
      : undefined;
    const trainerPort = wanted.includes('trainer')
      ? await servicePort(
          options.trainerHealthPort ?? config.TRAINER_HEALTH_PORT,
          host,
          'TRAINER_HEALTH_PORT',
        )
      : undefined;
    const childEnv: NodeJS.ProcessEnv = {
      ...serviceEnv(env, config, { redisUrl: redis.url, s3Endpoint, bucket: config.S3_BUCKET, dataDir }),
      ...(gatewayPort === undefined ? {} : { PORT: String(gatewayPort) }),
      ...(trainerPort === undefined ? {} : { TRAINER_HEALTH_PORT: String(trainerPort) }),
    };
    const gatewayUrl = gatewayPort === undefined ? undefined : `http://${urlHost}:${gatewayPort}`;
    const trainerHealthUrl =
      trainerPort === undefined ? undefined : `http://${urlHost}:${trainerPort}/health`;
    const healthUrls: [ServiceName, string][] = [];
    if (gatewayUrl) healthUrls.push(['gateway', `${gatewayUrl}/health`]);
    if (trainerHealthUrl) healthUrls.push(['trainer', trainerHealthUrl]);

    await Promise.all(
      healthUrls.map(async ([name, url]) => {
        const service = spawnService({ name, script: entries[name], env: childEnv, logger });
        services.push(service);
        await service.waitHealthy(url, options.healthTimeoutMs ?? 60_000, options.signal);
        logger.info({ service: name, pid: service.pid, url }, 'service is up');
      }),
    );

    for (const service of services) {
      void service.exited.then((exit) => {
        if (stopping) return;
        logger.error(exit, `${exit.name} stopped on its own; stopping the stack`);
        crash = exit;
        void stop();
      });
    }

    return {
      redisUrl: redis.url,
      s3Endpoint,
      bucket: config.S3_BUCKET,
      gatewayUrl,
      trainerHealthUrl,
      started: { redis: redisServer !== undefined, s3: embeddedS3 !== undefined },
      processes: [
        ...services.map((service) => ({ name: service.name, pid: service.pid })),
        ...(redisServer ? [{ name: 'redis-server', pid: redisServer.pid }] : []),
      ],
      finished,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function printSummary(stack: Stack, absoluteDataDir: string): void {
  const inRepo = relative(repoRoot, absoluteDataDir);
  const dataDir = inRepo && !inRepo.startsWith('..') && !isAbsolute(inRepo) ? inRepo : absoluteDataDir;
  const rows = [
    ['gateway', stack.gatewayUrl],
    ['trainer', stack.trainerHealthUrl],
    [
      'redis',
      `${stack.redisUrl}${stack.started.redis ? ` (private redis-server, data in ${dataDir}/redis)` : ''}`,
    ],
    [
      's3',
      `${stack.s3Endpoint} bucket ${stack.bucket}${stack.started.s3 ? ` (embedded, data in ${dataDir}/s3)` : ''}`,
    ],
  ];
  const lines = rows.filter(([, value]) => value).map(([name, value]) => `  ${name!.padEnd(8)} ${value}`);
  process.stdout.write(`\nvisionops is running:\n${lines.join('\n')}\nPress Ctrl-C to stop.\n\n`);
}

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const logger = createLogger('stack', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const abort = new AbortController();
  let stack: Stack | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping');
    if (stack) void stack.stop();
    else abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // `npm run start:prod` passes --compiled: the services run from their build, as in the image.
    const compiled = process.argv.slice(2).includes('--compiled');
    stack = await startStack({ logger, signal: abort.signal, compiled });
  } catch (error) {
    if (abort.signal.aborted) return 0;
    if (error instanceof StackError) logger.error(error.message);
    else logger.error({ err: error }, 'the stack could not start');
    return 1;
  }
  // Let buffered log lines out first so the summary is the last thing on the screen.
  await new Promise<void>((resolveFlush) => logger.flush(() => resolveFlush()));
  printSummary(stack, config.DATA_DIR);
  const end = await stack.finished;
  return end.reason === 'stopped' ? 0 : 1;
}

const isEntryPoint =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
// Exit explicitly: a client library keeping a handle open must not keep a stopped stack alive.
if (isEntryPoint) process.exit(await main());
