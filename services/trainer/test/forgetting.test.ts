// Forgetting: fine-tuning the real baseline on 500 cat images must not cost more than 3 points of
// test accuracy when replay is on (the default configuration). Needs the real model and data; on a
// machine without them it is skipped, and says so loudly (CI always has both).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig, repoRoot } from '@visionops/core';
import { realDataFile } from '@visionops/testkit';
import { formatForgettingReport, runForgettingExperiment } from '../src/retrain/forgetting-experiment.js';

const baselineDir = join(repoRoot, 'models', 'baseline');
const trainZip = realDataFile('train.zip');
const testZip = realDataFile('test.zip');
const missing = [
  existsSync(join(baselineDir, 'card.json')) ? undefined : `${baselineDir} (run npm run train:baseline)`,
  trainZip ? undefined : 'train.zip (set VISIONOPS_TEST_DATA)',
  testZip ? undefined : 'test.zip (set VISIONOPS_TEST_DATA)',
].filter((item) => item !== undefined);
if (missing.length > 0) {
  console.warn(`\n!!! SKIPPING the forgetting test: missing ${missing.join(', ')} !!!\n`);
}

describe('forgetting', () => {
  test.skipIf(missing.length > 0)(
    'when the baseline is fine-tuned on 500 cat images, then with replay on the test accuracy drops by at most 3 points',
    async () => {
      const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
      const report = await runForgettingExperiment({
        baselineDir,
        trainZip: trainZip!,
        testZip: testZip!,
        config,
        images: 500,
        label: 'cat',
        epochs: 3,
      });
      console.log(formatForgettingReport(report));
      expect(report.uploaded).toBe(500);
      expect(report.on.trainImages).toBeGreaterThan(report.off.trainImages);
      expect(report.on.drop).toBeLessThanOrEqual(0.03);
    },
    20 * 60_000,
  );
});
