// The same short training run (recipe, seed, data) on the oneDNN engine and on plain wasm: the
// native kernels change float rounding only, so losses and accuracies stay close epoch by epoch.
// Skipped, with the reason, where the addon is not built.
import { loadOnednnAddon } from '@visionops/core/engine';
import { describe, expect, it } from 'vitest';
import { colourData, colourRecipe } from '../../test/colour-data.js';
import { trainDataParallel, type TrainOptions } from './data-parallel-trainer.js';

const loaded = loadOnednnAddon();
const skipReason = 'reason' in loaded ? `the addon is ${loaded.reason}` : undefined;

const recipe: Omit<TrainOptions, 'backend'> = {
  ...colourRecipe,
  architecture: { name: 'resnet9', width: 8 },
  threads: 1,
  epochs: 3,
  seed: 11,
};

describe.skipIf(skipReason !== undefined)(
  `training on oneDNN${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('when the same recipe and seed train on oneDNN and on wasm, then losses and accuracies stay close', async () => {
      const data = colourData(190);
      const wasm = await trainDataParallel({ ...recipe, backend: 'wasm' }, data);
      const native = await trainDataParallel({ ...recipe, backend: 'onednn' }, data);
      expect(native.backend).toBe('onednn');
      expect(wasm.backend).toBe('wasm');
      const show = (h: typeof wasm.history) =>
        h
          .map(
            (e) => `${e.loss.toFixed(4)}/${e.validationLoss!.toFixed(4)}/${e.validationAccuracy!.toFixed(3)}`,
          )
          .join(' ');
      console.log(
        `loss/validation loss/accuracy per epoch: wasm ${show(wasm.history)}, oneDNN ${show(native.history)}`,
      );
      native.history.forEach((epoch, i) => {
        const reference = wasm.history[i]!;
        expect(Math.abs(epoch.loss - reference.loss), `epoch ${i + 1} loss`).toBeLessThanOrEqual(
          0.02 + 0.05 * reference.loss,
        );
        expect(Math.abs(epoch.accuracy - reference.accuracy), `epoch ${i + 1} accuracy`).toBeLessThanOrEqual(
          0.03,
        );
        expect(
          Math.abs(epoch.validationAccuracy! - reference.validationAccuracy!),
          `epoch ${i + 1} validation accuracy`,
        ).toBeLessThanOrEqual(0.05);
      });
      // The run learned (so the comparison is not between two untrained models).
      expect(native.history.at(-1)!.validationAccuracy).toBeGreaterThan(0.9);
    });
  },
);
