// Several gateways and trainers on one machine against one Redis and one S3: the scale-out shape of
// a deployment, for the scale-out tests and for trying it locally (`--gateways N --trainers N`).
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, loadConfig, loadConfigOrExit } from '@visionops/core';
import { freePort } from './free-port.js';
import { spawnService, type ServiceExit } from './service-process.js';
import { StackError } from './stack-error.js';
import {
  dialableHost,
  entryFiles,
  serviceEnv,
  startStack,
  type ServiceName,
  type Stack,
  type StackOptions,
} from './start-stack.js';

export interface ClusterOptions extends Pick<
  StackOptions,
  'env' | 'dataDir' | 'redisPort' | 's3Port' | 'logger' | 'signal' | 'stopGraceMs' | 'healthTimeoutMs'
> {
  gateways: number;
  trainers: number;
}

export interface ClusterService {
  /** `gateway-1`, `trainer-2`, ... */
  name: string;
  kind: ServiceName;
  pid: number;
  /** A gateway's base URL, or a trainer's /health URL. */
  url: string;
  /** The id a trainer reports in its heartbeat and leaves on the jobs it runs (processedBy). */
  trainerId: string | undefined;
  /** Resolves when the process has exited, however that happened. */
  exited: Promise<ServiceExit>;
}

export interface Cluster {
  redisUrl: string;
  s3Endpoint: string;
  bucket: string;
  /** Redis and S3 as startStack chose them (started here, or the configured ones). */
  stack: Stack;
  gateways: ClusterService[];
  trainers: ClusterService[];
  /** Stops every service still running, then the Redis and S3 the cluster started. */
  stop(): Promise<void>;
}

/**
 * Starts Redis and S3 as startStack does, then `gateways` gateway and `trainers` trainer processes
 * on free ports, and resolves once each answers /health. Unlike startStack, a service that dies does
 * not stop the others: a scale-out deployment is meant to carry on without it.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const logger =
    options.logger ?? createLogger('cluster', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const graceMs = options.stopGraceMs ?? 10_000;
  const host = config.HOST;
  const urlHost = dialableHost(host);
  const stack = await startStack({ ...options, env, logger, services: [] });

  const running: { service: ReturnType<typeof spawnService>; handle: ClusterService }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(running.map(({ service }) => service.stop(graceMs)));
      await stack.stop();
    })());

  try {
    const dataDir = options.dataDir ? resolve(options.dataDir) : config.DATA_DIR;
    const childEnv = serviceEnv(env, config, {
      redisUrl: stack.redisUrl,
      s3Endpoint: stack.s3Endpoint,
      bucket: stack.bucket,
      dataDir,
    });
    const wanted: ServiceName[] = [
      ...Array.from({ length: options.gateways }, () => 'gateway' as const),
      ...Array.from({ length: options.trainers }, () => 'trainer' as const),
    ];
    const counts = { gateway: 0, trainer: 0 };
    const starts: Promise<void>[] = [];
    for (const kind of wanted) {
      const name = `${kind}-${++counts[kind]}`;
      const port = await freePort(host);
      const url = kind === 'gateway' ? `http://${urlHost}:${port}` : `http://${urlHost}:${port}/health`;
      const service = spawnService({
        name,
        script: entryFiles[kind],
        env: {
          ...childEnv,
          ...(kind === 'gateway' ? { PORT: String(port) } : { TRAINER_HEALTH_PORT: String(port) }),
        },
        logger,
      });
      const handle: ClusterService = {
        name,
        kind,
        pid: service.pid,
        url,
        trainerId: kind === 'trainer' ? `${hostname()}:${service.pid}` : undefined,
        exited: service.exited,
      };
      running.push({ service, handle });
      starts.push(
        service
          .waitHealthy(
            kind === 'gateway' ? `${url}/health` : url,
            options.healthTimeoutMs ?? 60_000,
            options.signal,
          )
          .then(() => logger.info({ service: name, pid: service.pid, url }, 'service is up')),
      );
      void service.exited.then((exit) => {
        if (!stopping) logger.warn(exit, `${name} stopped on its own; the others carry on`);
      });
    }
    await Promise.all(starts);
  } catch (error) {
    await stop();
    throw error;
  }

  const handles = running.map(({ handle }) => handle);
  return {
    redisUrl: stack.redisUrl,
    s3Endpoint: stack.s3Endpoint,
    bucket: stack.bucket,
    stack,
    gateways: handles.filter((handle) => handle.kind === 'gateway'),
    trainers: handles.filter((handle) => handle.kind === 'trainer'),
    stop,
  };
}

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const logger = createLogger('cluster', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const { values } = parseArgs({
    options: { gateways: { type: 'string', default: '2' }, trainers: { type: 'string', default: '2' } },
  });
  const gateways = Number(values.gateways);
  const trainers = Number(values.trainers);
  if (!Number.isInteger(gateways) || !Number.isInteger(trainers) || gateways < 0 || trainers < 0) {
    logger.error('--gateways and --trainers take a whole number (0 or more)');
    return 1;
  }
  const abort = new AbortController();
  let cluster: Cluster | undefined;
  let done!: () => void;
  const stopped = new Promise<void>((resolveStopped) => (done = resolveStopped));
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping');
    if (cluster) {
      cluster
        .stop()
        .catch((error: unknown) => logger.error({ err: error }, 'the cluster did not stop cleanly'))
        .finally(done);
    } else abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    cluster = await startCluster({ gateways, trainers, logger, signal: abort.signal });
  } catch (error) {
    if (abort.signal.aborted) return 0;
    if (error instanceof StackError) logger.error(error.message);
    else logger.error({ err: error }, 'the cluster could not start');
    return 1;
  }
  await new Promise<void>((resolveFlush) => logger.flush(() => resolveFlush()));
  const rows = [
    ...[...cluster.gateways, ...cluster.trainers].map((service) => [service.name, service.url]),
    ['redis', cluster.redisUrl],
    ['s3', `${cluster.s3Endpoint} bucket ${cluster.bucket}`],
  ];
  const lines = rows.map(([name, value]) => `  ${name!.padEnd(10)} ${value}`);
  process.stdout.write(`\nvisionops cluster is running:\n${lines.join('\n')}\nPress Ctrl-C to stop.\n\n`);
  await stopped;
  return 0;
}

const isEntryPoint =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
// Exit explicitly: a client library keeping a handle open must not keep a stopped cluster alive.
if (isEntryPoint) process.exit(await main());
