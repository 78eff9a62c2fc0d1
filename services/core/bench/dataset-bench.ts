// `npm run bench:dataset [zip-or-dir]`: decode time of a dataset cold (decoding every image) and
// warm (from the decode cache). Defaults to the real CIFAR-10 train.zip next to the repository.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/dataset/index.js';
import { repoRoot } from '../src/paths.js';

const source = process.argv[2] ?? join(repoRoot, '..', 'shared', 'datasets', 'cifar10', 'train.zip');
const cacheDir = await mkdtemp(join(tmpdir(), 'visionops-bench-cache-'));
try {
  for (const run of ['cold', 'cached']) {
    const started = performance.now();
    const dataset = await loadDataset(source, { cacheDir });
    const seconds = (performance.now() - started) / 1000;
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    console.log(
      `${run}: ${dataset.n} images, ${dataset.skipped.length} skipped, fromCache=${dataset.fromCache}, ` +
        `${seconds.toFixed(2)} s (${((seconds * 1e6) / dataset.n).toFixed(0)} us/image), rss ${rss} MiB`,
    );
  }
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}
