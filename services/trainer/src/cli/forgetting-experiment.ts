// `npm run experiment:forgetting`: fine-tunes the baseline on 500 cat images with replay off and on
// and prints the accuracy on the test set each time; ends with one JSON line.
//
//   npm run experiment:forgetting -- --train ../shared/datasets/cifar10/train.zip \
//     --test ../shared/datasets/cifar10/test.zip --model models/baseline
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, repoRoot } from '@visionops/core';
import { formatForgettingReport, runForgettingExperiment } from '../retrain/forgetting-experiment.js';

const shared = join(repoRoot, '..', 'shared', 'datasets', 'cifar10');
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/baseline' },
    train: { type: 'string', default: join(shared, 'train.zip') },
    test: { type: 'string', default: join(shared, 'test.zip') },
    images: { type: 'string', default: '500' },
    label: { type: 'string', default: 'cat' },
    epochs: { type: 'string', default: '3' },
  },
});

async function main(): Promise<void> {
  const report = await runForgettingExperiment({
    baselineDir: resolve(args.model),
    trainZip: resolve(args.train),
    testZip: resolve(args.test),
    config: loadConfig(),
    images: Number(args.images),
    label: args.label,
    epochs: Number(args.epochs),
    log: (line) => console.log(line),
  });
  console.log(`\n${formatForgettingReport(report)}`);
  console.log(JSON.stringify(report));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
