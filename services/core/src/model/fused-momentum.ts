// SGD with momentum as TensorFlow.js's MomentumOptimizer computes it (same slots, names, weights
// and config, so checkpoints and getWeights/setWeights are unchanged), with each variable's step
// in one native kernel on the oneDNN engine instead of six small wasm ones (three multiplies and
// three additions, about 150 kernel calls per step of the model). Elsewhere the stock step runs.
import * as tf from '@tensorflow/tfjs';
import { MOMENTUM_UPDATE } from '../engine/onednn-kernels.js';

/** The parts of MomentumOptimizer the fused step reads and writes (private in its typings). */
interface MomentumInternals {
  learningRate: number;
  momentum: number;
  useNesterov: boolean;
  accumulations: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

type VariableGradients = Parameters<tf.MomentumOptimizer['applyGradients']>[0];

export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    if (!tf.getKernel(MOMENTUM_UPDATE, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as MomentumInternals;
    const entries = Array.isArray(variableGradients)
      ? variableGradients.map((item) => [item.name, item.tensor] as const)
      : Object.entries(variableGradients);
    const variables = tf.engine().registeredVariables;
    entries.forEach(([name, gradient], i) => {
      const value = variables[name];
      if (!value) throw new Error(`no variable named ${name}`);
      self.accumulations[i] ??= {
        originalName: `${name}/momentum`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      const accumulation = self.accumulations[i].variable;
      if (gradient == null) return;
      tf.tidy(() => {
        const [newValue, newAccumulation] = tf
          .engine()
          .runKernel<tf.Tensor[]>(
            MOMENTUM_UPDATE,
            { value, accumulation, gradient },
            { momentum: self.momentum, learningRate: self.learningRate, nesterov: self.useNesterov },
          );
        accumulation.assign(newAccumulation!);
        value.assign(newValue!);
      });
    });
    self.incrementIterations();
  }
}

/** tf.train.momentum, with the fused step where the engine has it. */
export function momentumOptimizer(
  learningRate: number,
  momentum: number,
  useNesterov = false,
): tf.MomentumOptimizer {
  return new FusedMomentumOptimizer(learningRate, momentum, useNesterov);
}
