// The stack the load tests run against when TARGET is not set: Redis, the embedded S3, the gateway
// and (for the retrain scenario) a trainer, on free ports with a temporary data directory and the
// baseline model seeded as v1. stop() removes all of it again.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig, repoRoot, S3Keys } from '@visionops/core';
import { createS3Client, ObjectStore } from '@visionops/core/registry';
import { publishCopyOfProduction, sliceZip, writeStandInBaseline } from '@visionops/testkit';
import { freePort } from '@visionops/infra/free-port';
import { startStack, type Stack } from '@visionops/infra/start-stack';

export interface LocalStackOptions {
  /** Start a trainer too (the retrain scenario needs one). */
  trainer: boolean;
  adminToken: string;
  /** Evaluation images per class for the trainer's promotion gate. */
  evalPerClass?: number;
  /** Replay images per class the trainer mixes into fine-tuning. */
  replayPerClass?: number;
}

export interface LocalStack {
  gatewayUrl: string;
  /** pid of every child process (gateway, trainer, private redis-server), for the CPU report. */
  processes: { name: string; pid: number }[];
  /** Resolves once the trainer has stored its replay and evaluation sets (at once without a trainer). */
  datasetsReady(timeoutMs: number): Promise<void>;
  /** Publishes a copy of the production model as a new version: a candidate for a canary. */
  publishCandidate(): Promise<string>;
  stop(): Promise<void>;
}

async function baselineDir(workDir: string): Promise<string> {
  const shipped = join(repoRoot, 'models', 'baseline');
  if (existsSync(join(shipped, 'card.json'))) return shipped;
  // Without the shipped baseline, a small untrained model stands in so the stack still serves.
  return writeStandInBaseline(workDir);
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { evalPerClass = 50, replayPerClass = 40 } = options;
  const workDir = mkdtempSync(join(tmpdir(), 'visionops-loadtest-'));
  // A private redis-server on a free port (nothing answers there, so startStack starts one): the
  // load stays off the shared Redis and nothing is left behind in it.
  const redisPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    S3_ENDPOINT: '',
    ADMIN_TOKEN: options.adminToken,
    BASELINE_MODEL_DIR: await baselineDir(workDir),
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    // The load comes from one address; the per-client limit would answer 429 and hide capacity.
    RATE_LIMIT_PREDICT_PER_MINUTE: '0',
  };
  if (options.trainer) {
    // Small slices keep the trainer's start-up seeding short; the gate still compares both models
    // on the same real images, so it may refuse a version (the retrain scenario then promotes it).
    writeFileSync(
      join(workDir, 'replay.zip'),
      (await sliceZip('train.zip', replayPerClass, { skip: 1000 })).zip,
    );
    writeFileSync(join(workDir, 'eval.zip'), (await sliceZip('test.zip', evalPerClass, { skip: 400 })).zip);
    Object.assign(env, {
      REPLAY_DATA_PATH: join(workDir, 'replay.zip'),
      EVAL_DATA_PATH: join(workDir, 'eval.zip'),
      REPLAY_SAMPLE_SIZE: String(replayPerClass * 10),
    });
  }
  const stack: Stack = await startStack({
    env,
    dataDir: join(workDir, 'data'),
    gatewayPort: 0,
    trainerHealthPort: 0,
    s3Port: 0,
    redisPort,
    services: options.trainer ? ['gateway', 'trainer'] : ['gateway'],
    logger: createLogger('loadtest-stack', { level: 'warn' }),
    healthTimeoutMs: 90_000,
  });
  const store = new ObjectStore(
    createS3Client({ ...loadConfig(env), S3_ENDPOINT: stack.s3Endpoint }),
    stack.bucket,
  );

  return {
    gatewayUrl: stack.gatewayUrl!,
    processes: stack.processes,
    async datasetsReady(timeoutMs) {
      if (!options.trainer) return;
      const deadline = Date.now() + timeoutMs;
      const manifests = [S3Keys.datasetManifest('eval'), S3Keys.datasetManifest('replay/baseline')];
      while (Date.now() < deadline) {
        const found = await Promise.all(manifests.map((key) => store.stat(key)));
        if (found.every((info) => info !== undefined)) return;
        await new Promise((resolveSleep) => setTimeout(resolveSleep, 500));
      }
      throw new Error(
        `the trainer did not store its replay and evaluation sets within ${timeoutMs / 1000} s`,
      );
    },
    publishCandidate: () => publishCopyOfProduction(loadConfig(env), store),
    async stop() {
      await stack.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
