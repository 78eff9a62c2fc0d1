// Tests of the concurrent decoder: order kept whatever finishes first, progress, cancellation.
import { describe, expect, it } from 'vitest';
import { syntheticImage, syntheticPixels } from '@visionops/testkit';
import { imageAt, type LabelledFile, type SkippedEntry } from './decoded-dataset.js';
import { decodeLabelledFiles } from './decode-files.js';

async function* files(count: number): AsyncGenerator<LabelledFile | SkippedEntry> {
  for (let i = 0; i < count; i++) {
    // Large inputs take longer to decode than small ones, so completions come out of order.
    const size = i % 2 === 0 ? 600 : 32;
    yield { name: `cat/${i}.png`, label: i % 10, data: await syntheticImage(i % 10, i, { size }) };
  }
}

describe('decodeLabelledFiles', () => {
  it('when decodes finish out of order, then images keep source order and progress counts each', async () => {
    const progress: number[] = [];
    const dataset = await decodeLabelledFiles(files(12), {
      concurrency: 4,
      onProgress: (n) => progress.push(n),
    });
    expect(dataset.n).toBe(12);
    expect([...dataset.labels]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(imageAt(dataset, 3)).toEqual(syntheticPixels(3, 3));
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('when the signal is aborted, then it rejects with the abort reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('job cancelled'));
    await expect(decodeLabelledFiles(files(3), { signal: controller.signal })).rejects.toThrow(
      'job cancelled',
    );
  });
});
