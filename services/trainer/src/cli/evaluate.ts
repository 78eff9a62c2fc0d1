// `npm run evaluate -- --model <dir> --data <zip|dir>`: accuracy, per-class accuracy and the
// confusion matrix of a saved model, loaded and fed exactly as the gateway does (model files,
// the card's normalisation and the model's test-time augmentation, decodeImage + normalise). Ends
// with one JSON line. `--tta none|flip` overrides the model's augmentation, to compare the two.
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CIFAR10_NORMALISATION, LABELS, loadConfig, type Normalisation } from '@visionops/core';
import { loadDataset } from '@visionops/core/dataset';
import { initBackend, type BackendPreference } from '@visionops/core/engine';
import {
  evaluateModel,
  isTestTimeAugmentation,
  loadModelFromDir,
  setTestTimeAugmentation,
  testTimeAugmentationOf,
  type EvaluationMetrics,
  type ModelCard,
} from '@visionops/core/model';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/baseline' },
    data: { type: 'string' },
    backend: { type: 'string' },
    tta: { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
  },
});

async function readNormalisation(dir: string): Promise<Normalisation> {
  try {
    const card = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as ModelCard;
    return card.normalisation;
  } catch {
    return { ...CIFAR10_NORMALISATION };
  }
}

export function formatReport(metrics: EvaluationMetrics): string {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const lines = [
    `accuracy ${pct(metrics.accuracy)} on ${metrics.n} images (${metrics.dataset})`,
    '',
    'per class:',
  ];
  for (const label of LABELS) lines.push(`  ${label.padEnd(11)} ${pct(metrics.perClass[label] ?? 0)}`);
  lines.push('', `confusion matrix (rows: actual, columns: predicted)`);
  lines.push(`${''.padEnd(11)} ${LABELS.map((l) => l.slice(0, 5).padStart(5)).join(' ')}`);
  metrics.confusion.forEach((row, i) => {
    lines.push(`${LABELS[i]!.padEnd(11)} ${row.map((v) => String(v).padStart(5)).join(' ')}`);
  });
  return lines.join('\n');
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!args.data) throw new Error('--data <zip|dir|cifar-binary dir> is required');
  const backend = await initBackend((args.backend ?? config.ML_BACKEND) as BackendPreference);
  const dir = resolve(args.model);
  const model = await loadModelFromDir(dir);
  if (args.tta !== undefined) {
    if (!isTestTimeAugmentation(args.tta)) throw new Error(`--tta must be none or flip, got ${args.tta}`);
    setTestTimeAugmentation(model, args.tta);
  }
  const normalisation = await readNormalisation(dir);
  const data = await loadDataset(resolve(args.data), {
    cacheDir: args['no-cache'] ? false : join(config.DATA_DIR, 'cache'),
    split: 'test',
  });
  const started = performance.now();
  const metrics = evaluateModel(model, data, normalisation, basename(args.data));
  const seconds = (performance.now() - started) / 1000;
  console.log(formatReport(metrics));
  console.log(
    `\nbackend ${backend.name}, test-time augmentation ${testTimeAugmentationOf(model)}, ` +
      `${(data.n / seconds).toFixed(0)} images/s, ${data.skipped.length} skipped`,
  );
  console.log(
    JSON.stringify({
      accuracy: metrics.accuracy,
      perClass: metrics.perClass,
      n: metrics.n,
      testTimeAugmentation: testTimeAugmentationOf(model),
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
