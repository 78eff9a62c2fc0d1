// `npm run bench:retrain`: one retrain job as a trainer runs it (in-process trainer, real Redis,
// embedded S3): the baseline in production (an untrained width-16 model when models/baseline is
// absent), replay and evaluation sets seeded from the configured data, and an upload of 100 images
// per class from train.zip (synthetic without it), 3 epochs. Prints the job's wall time by phase.
//
//   npm run bench:retrain -- --per-class 100 --epochs 3      (TRAIN_THREADS=2 for two threads)
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, loadConfig, RedisKeys } from '@visionops/core';
import {
  createModel,
  DEFAULT_ARCHITECTURE,
  modelToFiles,
  readModelFiles,
  type ModelCard,
} from '@visionops/core/model';
import {
  buildTestModel,
  dropQueue,
  enqueueUpload,
  openQueue,
  sliceZip,
  startTestStorage,
  useCpuBackend,
  waitForJob,
} from '@visionops/testkit';
import { startTrainer } from '../src/trainer.js';

const { values: args } = parseArgs({
  options: { 'per-class': { type: 'string', default: '100' }, epochs: { type: 'string', default: '3' } },
});
const perClass = Number(args['per-class']);
const epochs = Number(args.epochs);

await useCpuBackend();
const env = {
  ...process.env,
  QUEUE_PREFIX: `bench-${Date.now()}`,
  TRAINER_HEALTH_PORT: '0',
  LOG_LEVEL: 'warn',
};
const storage = await startTestStorage(env);
const config = loadConfig({
  ...env,
  S3_ENDPOINT: storage.config.S3_ENDPOINT,
  S3_BUCKET: storage.config.S3_BUCKET,
});

const baselineDir = config.BASELINE_MODEL_DIR;
let source = baselineDir;
if (existsSync(join(baselineDir, 'card.json'))) {
  const card = JSON.parse(await readFile(join(baselineDir, 'card.json'), 'utf8')) as ModelCard;
  await storage.registry.publish(await readModelFiles(baselineDir), card);
} else {
  const { card } = await buildTestModel(1);
  const model = createModel(DEFAULT_ARCHITECTURE, 1);
  const architecture = { ...DEFAULT_ARCHITECTURE, parameters: model.countParams(), inputShape: [32, 32, 3] };
  await storage.registry.publish(await modelToFiles(model), { ...card, architecture });
  model.dispose();
  source = `untrained resnet9 width ${DEFAULT_ARCHITECTURE.width}`;
}
await storage.registry.promote('v1', 'bench');

const seeding = performance.now();
const trainer = await startTrainer(config, createLogger('trainer', { level: 'warn' }), {
  modelsChannel: storage.channel,
});
await trainer.datasetsReady;
console.log(`model: ${source}; datasets seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

const queue = openQueue(config);
const { zip, real } = await sliceZip('train.zip', perClass, { skip: 4000 });
const job = await enqueueUpload(storage, queue, zip, { epochs });
const { job: done, state } = await waitForJob(queue, job.id!, 60 * 60_000);
if (state !== 'completed') throw new Error(`the job ${state}: ${done.failedReason}`);
const result = done.returnvalue;
const wall = (done.finishedOn! - done.processedOn!) / 1000;
console.log(
  [
    `upload: ${result.images.uploaded} ${real ? 'CIFAR-10 JPEGs' : 'synthetic images'}, ${epochs} epochs, ` +
      `${config.TRAIN_THREADS} training thread(s), ${result.images.replay} replay images (${result.images.train} in all)`,
    `job wall time ${wall.toFixed(1)} s: training ${result.seconds.training.toFixed(1)} s, ` +
      `evaluation ${result.seconds.evaluation.toFixed(1)} s (candidate and production on ${result.evaluation.n} images), ` +
      `the rest ${(wall - result.seconds.training - result.seconds.evaluation).toFixed(1)} s`,
    `accuracy ${(result.accuracy * 100).toFixed(2)}% vs production ${(result.productionAccuracy * 100).toFixed(2)}%: ${result.reason}`,
  ].join('\n'),
);
console.log(
  JSON.stringify({ wallSec: wall, ...result.seconds, images: result.images, accuracy: result.accuracy }),
);

await trainer.stop({ force: true });
await dropQueue(queue);
await storage.redis.del(RedisKeys.modelVersionCounter(storage.store.bucket));
await storage.stop();
process.exit(0);
