// Tests of FusedMomentumOptimizer: on the oneDNN engine, each variable's step is one native
// kernel, and values, accumulations and slot names equal TensorFlow.js's MomentumOptimizer on cpu
// step by step, with and without Nesterov momentum and across learning-rate changes; on other
// engines the stock step runs.
import * as tf from '@tensorflow/tfjs';
import { loadOnednnAddon } from '@visionops/engine-native';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeError, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';
import { MOMENTUM_UPDATE, registerOnednnKernels } from '../engine/onednn-kernels.js';
import { FusedMomentumOptimizer, momentumOptimizer } from './fused-momentum.js';

const loaded = loadOnednnAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
const skipReason = 'reason' in loaded ? loaded.reason : undefined;

// Shapes of the model's variables (a 3x3 filter, a per-channel vector) and one past a SIMD width.
const SHAPES = [[3, 3, 5, 7], [7], [33], [1]];
const STEPS = 4;
// Float rounding: the native step may fuse a multiply and an add that the reference rounds apart.
const TOLERANCE = 1e-5;

interface Trajectory {
  values: Float32Array[];
  slots: { name: string; values: Float32Array }[];
  kernels: string[];
}

/** STEPS steps on fresh variables, the learning rate changed halfway; returns what they ended as. */
async function train(
  backend: string,
  fused: boolean,
  nesterov: boolean,
  prefix: string,
): Promise<Trajectory> {
  await tf.setBackend(backend);
  const variables = SHAPES.map((shape, i) =>
    tf.variable(
      tf.tensor(seededValues(10 + i, tf.util.sizeFromShape(shape)), shape),
      true,
      `${prefix}_v${i}`,
    ),
  );
  const optimizer = fused ? momentumOptimizer(0.1, 0.9, nesterov) : tf.train.momentum(0.1, 0.9, nesterov);
  const kernels: string[] = [];
  for (let step = 0; step < STEPS; step++) {
    if (step === STEPS / 2) optimizer.setLearningRate(0.03);
    const grads = variables.map((v, i) => ({
      name: v.name,
      tensor: tf.tensor(seededValues(100 * step + i, v.size), v.shape),
    }));
    const info = await tf.profile(() => optimizer.applyGradients(grads));
    kernels.push(...info.kernels.map((k) => k.name));
    tf.dispose(grads.map((g) => g.tensor));
  }
  const weights = await optimizer.getWeights();
  const trajectory = {
    values: variables.map((v) => v.dataSync() as Float32Array),
    slots: weights.slice(1).map((w) => ({
      name: w.name.replace(`${prefix}_`, ''),
      values: w.tensor.dataSync() as Float32Array,
    })),
    kernels,
  };
  optimizer.dispose();
  tf.dispose(variables);
  return trajectory;
}

function expectSame(actual: Trajectory, expected: Trajectory): void {
  expect(actual.slots.map((s) => s.name)).toEqual(expected.slots.map((s) => s.name));
  actual.values.forEach((values, i) =>
    expect(relativeError(values, expected.values[i]!), `variable ${i}`).toBeLessThanOrEqual(TOLERANCE),
  );
  actual.slots.forEach((slot, i) =>
    expect(relativeError(slot.values, expected.slots[i]!.values), `slot ${slot.name}`).toBeLessThanOrEqual(
      TOLERANCE,
    ),
  );
}

beforeAll(async () => {
  await startWasmAndCpu();
});

describe('FusedMomentumOptimizer', () => {
  it('when the engine has no fused kernel (cpu), then it runs the stock step and equals MomentumOptimizer', async () => {
    const fused = await train('cpu', true, true, 'cpu_fused');
    expect(fused.kernels).not.toContain(MOMENTUM_UPDATE);
    expectSame(fused, await train('cpu', false, true, 'cpu_stock'));
  });

  it('when created, then it is a MomentumOptimizer with the same class name and config', () => {
    const optimizer = momentumOptimizer(0.1, 0.9, true);
    expect(optimizer).toBeInstanceOf(tf.MomentumOptimizer);
    expect(optimizer).toBeInstanceOf(FusedMomentumOptimizer);
    expect(optimizer.getClassName()).toBe('Momentum');
    expect(optimizer.getConfig()).toEqual(tf.train.momentum(0.1, 0.9, true).getConfig());
    optimizer.dispose();
  });
});

describe.skipIf(!addon)(
  `FusedMomentumOptimizer on oneDNN${skipReason ? ` (skipped: the addon is ${skipReason})` : ''}`,
  () => {
    let restore: (() => void) | undefined;
    beforeAll(() => {
      restore = registerOnednnKernels(addon!);
    });
    afterAll(() => restore?.());

    it.each([true, false])(
      'when it steps with nesterov %s, then each variable takes one fused kernel and values, accumulations and slot names equal MomentumOptimizer on cpu',
      async (nesterov) => {
        const fused = await train('wasm', true, nesterov, `wasm_${nesterov}`);
        expect(fused.kernels.filter((name) => name === MOMENTUM_UPDATE)).toHaveLength(STEPS * SHAPES.length);
        expect(fused.kernels.filter((name) => name === 'Multiply' || name === 'Add')).toEqual([]);
        expectSame(fused, await train('cpu', false, nesterov, `cpu_${nesterov}`));
      },
    );

    it('when its slots come from a stock optimizer (a checkpoint), then it continues as the stock one does', async () => {
      await tf.setBackend('wasm');
      const run = async (fusedSecondHalf: boolean, prefix: string) => {
        const v = tf.variable(tf.tensor(seededValues(3, 12), [3, 4]), true, `${prefix}_w`);
        const gradient = (step: number) => [
          { name: v.name, tensor: tf.tensor(seededValues(step, 12), [3, 4]) },
        ];
        const first = tf.train.momentum(0.05, 0.9, true);
        for (let step = 0; step < 2; step++) first.applyGradients(gradient(step));
        const slots = await first.getWeights();
        const second = fusedSecondHalf
          ? momentumOptimizer(0.05, 0.9, true)
          : tf.train.momentum(0.05, 0.9, true);
        await second.setWeights(slots.map((s) => ({ name: s.name, tensor: tf.clone(s.tensor) })));
        for (let step = 2; step < 4; step++) second.applyGradients(gradient(step));
        const values = v.dataSync() as Float32Array;
        first.dispose();
        second.dispose();
        v.dispose();
        return values;
      };
      expect(
        relativeError(await run(true, 'resumed_fused'), await run(false, 'resumed_stock')),
      ).toBeLessThanOrEqual(TOLERANCE);
    });
  },
);
