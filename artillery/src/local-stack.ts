// The stack the load tests run against when TARGET is not set: Redis, the embedded S3, the gateway
// and (for the retrain scenario) a trainer, on free ports with a temporary data directory and the
// baseline model seeded as v1. stop() removes all of it again.
import { loadConfig, S3Keys } from '@visionops/core';
import { createS3Client, ObjectStore } from '@visionops/core/registry';
import { publishCopyOfProduction, startTestStack, until } from '@visionops/testkit';

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

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { evalPerClass = 50, replayPerClass = 40 } = options;
  // Small slices keep the trainer's start-up seeding short; the gate still compares both models on
  // the same real images, so it may refuse a version (the retrain scenario then promotes it).
  const testStack = await startTestStack({
    adminToken: options.adminToken,
    services: options.trainer ? ['gateway', 'trainer'] : ['gateway'],
    privateRedis: true,
    replayPerClass,
    replaySampleSize: replayPerClass * 10,
    replaySkip: 1000,
    evalPerClass,
    evalSkip: 400,
    configuredRetrain: true,
    env: {
      // The load comes from one address; the per-client limit would answer 429 and hide capacity.
      RATE_LIMIT_PREDICT_PER_MINUTE: '0',
    },
  });
  const { stack, env } = testStack;
  const config = { ...loadConfig(env), S3_ENDPOINT: stack.s3Endpoint };
  const store = new ObjectStore(createS3Client(config), stack.bucket);
  return {
    gatewayUrl: stack.gatewayUrl!,
    processes: stack.processes,
    async datasetsReady(timeoutMs) {
      if (!options.trainer) return;
      const manifests = [S3Keys.datasetManifest('eval'), S3Keys.datasetManifest('replay/baseline')];
      await until(
        'the trainer storing its replay and evaluation sets',
        timeoutMs,
        async () => {
          const found = await Promise.all(manifests.map((key) => store.stat(key)));
          return found.every((info) => info !== undefined) ? true : undefined;
        },
        500,
      );
    },
    publishCandidate: () => publishCopyOfProduction(config, store),
    stop: () => testStack.stop(),
  };
}
