// Trains a tiny model on synthetic images with real worker threads and the wasm engine.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colourData, colourRecipe } from '../../test/colour-data.js';
import { readCheckpoint } from './checkpoint.js';
import { trainDataParallel, type TrainOptions } from './data-parallel-trainer.js';

const base: Omit<TrainOptions, 'epochs'> = {
  ...colourRecipe,
  architecture: { name: 'resnet9', width: 4 },
  backend: 'wasm',
  threads: 2,
  seed: 5,
};

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'visionops-train-'));
  dirs.push(dir);
  return dir;
}

describe('data-parallel training', () => {
  const data = colourData(190);

  it('when trained on two threads, then the model learns the synthetic classes', async () => {
    const result = await trainDataParallel({ ...base, epochs: 4 }, data);
    expect(result.threads).toBe(2);
    expect(result.backend).toBe('wasm');
    expect(result.history).toHaveLength(4);
    expect(result.history.at(-1)!.validationAccuracy).toBeGreaterThan(0.9);
  });

  it('when a run is interrupted after an epoch and resumed, then it ends where an uninterrupted run ends', async () => {
    const full = await trainDataParallel({ ...base, epochs: 3, checkpointDir: await tempDir() }, data);

    const checkpointDir = await tempDir();
    const controller = new AbortController();
    await expect(
      trainDataParallel(
        {
          ...base,
          epochs: 3,
          checkpointDir,
          signal: controller.signal,
          onEpoch: (record) => record.epoch === 2 && controller.abort(new Error('stop for the test')),
        },
        data,
      ),
    ).rejects.toThrow('stop for the test');
    expect((await readCheckpoint(checkpointDir))?.epoch).toBe(2);

    const resumed = await trainDataParallel({ ...base, epochs: 3, checkpointDir }, data);
    expect(resumed.resumedFromEpoch).toBe(2);
    expect(resumed.history.map((r) => r.epoch)).toEqual([1, 2, 3]);
    resumed.state.weights.forEach((weights, i) => {
      const expected = full.state.weights[i]!;
      let worst = 0;
      weights.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - expected[j]!))));
      expect(worst).toBeLessThan(1e-5);
    });
  });

  it('when the checkpoint belongs to other settings, then training starts over', async () => {
    const checkpointDir = await tempDir();
    await trainDataParallel({ ...base, epochs: 1, checkpointDir }, data);
    const other = await trainDataParallel({ ...base, epochs: 1, seed: 6, checkpointDir }, data);
    expect(other.resumedFromEpoch).toBe(0);
  });
});
