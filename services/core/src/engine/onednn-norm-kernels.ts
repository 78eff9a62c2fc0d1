// Batch normalisation in the addon's OpenMP loops: FusedBatchNorm as inference runs it (moving
// statistics), and the training kernels BATCH_NORM_TRAINING (batch statistics, a ReLU after it in
// the same pass) and its gradient. Non-float32 inputs and statistics that are not one value per
// channel keep the wasm FusedBatchNorm.
import { FusedBatchNorm, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import {
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  fallback,
  heapOf,
  isFloat,
  offsetOf,
  onednnKernelStats,
  onWasm,
  wasmBackendOf,
  type KernelFamilyContext,
  type WasmBackendInternals,
} from './onednn-kernel-base.js';

const channelsOf = (x: TensorInfo) => x.shape[x.shape.length - 1] ?? 1;
const perChannel = (channels: number, ...infos: (TensorInfo | undefined)[]) =>
  infos.every((info) => info === undefined || (info.shape.length === 1 && info.shape[0] === channels));

export function normalisationKernels(context: KernelFamilyContext): KernelConfig[] {
  const { addon } = context;
  const bnArgs = new Int32Array(11);
  /**
   * Allocates the outputs, then calls `run` with the heap read after the allocations; the args are
   * rows, channels, the inputs' and outputs' offsets, then `extra` (offsets of optional inputs or
   * -1, flags).
   */
  function runBatchNorm(
    backend: WasmBackendInternals,
    inputs: (TensorInfo | undefined)[],
    outShapes: number[][],
    run: (heap: ArrayBuffer, args: Int32Array) => void,
    extra: number[] = [],
  ): TensorInfo[] {
    const outs = outShapes.map((shape) => backend.makeOutput(shape, 'float32'));
    const x = inputs[0]!;
    bnArgs[0] = x.shape.reduce((a, b) => a * b, 1) / channelsOf(x);
    bnArgs[1] = channelsOf(x);
    [...inputs, ...outs].forEach((info, i) => (bnArgs[2 + i] = offsetOf(backend, info)));
    extra.forEach((value, i) => (bnArgs[2 + inputs.length + outs.length + i] = value));
    if (bnArgs[0] > 0 && bnArgs[1] > 0) run(heapOf(backend), bnArgs);
    onednnKernelStats.native++;
    return outs;
  }

  const batchNormInference: KernelFunc = (config) => {
    const { x, mean, variance, offset, scale } = config.inputs as Record<string, TensorInfo | undefined>;
    const { varianceEpsilon } = config.attrs as { varianceEpsilon: number };
    if (!x || !mean || !variance || !isFloat(x, mean, variance, offset, scale)) {
      return fallback(context, FusedBatchNorm, config);
    }
    if (!perChannel(channelsOf(x), mean, variance, offset, scale)) {
      return fallback(context, FusedBatchNorm, config);
    }
    return runBatchNorm(wasmBackendOf(config), [x, mean, variance, scale, offset], [x.shape], (heap, a) =>
      addon.batchNormInference(heap, a, varianceEpsilon),
    )[0]!;
  };

  const batchNormTraining: KernelFunc = (config) => {
    const { x, gamma, beta } = config.inputs as Record<string, TensorInfo>;
    const { epsilon, relu } = config.attrs as { epsilon: number; relu?: boolean };
    const channels = channelsOf(x!);
    if (!isFloat(x, gamma, beta) || !perChannel(channels, gamma, beta)) {
      throw new Error(`${BATCH_NORM_TRAINING} needs float32 and one gamma and beta per channel`);
    }
    return runBatchNorm(
      wasmBackendOf(config),
      [x, gamma, beta],
      [x!.shape, [channels], [channels]],
      (heap, a) => addon.batchNormTraining(heap, a, epsilon),
      [relu ? 1 : 0],
    );
  };

  const batchNormTrainingGrad: KernelFunc = (config) => {
    const { dy, x, mean, variance, gamma, beta } = config.inputs as Record<string, TensorInfo | undefined>;
    const { epsilon } = config.attrs as { epsilon: number };
    const channels = channelsOf(x!);
    const backend = wasmBackendOf(config);
    return runBatchNorm(
      backend,
      [dy, x, mean, variance, gamma],
      [x!.shape, [channels], [channels]],
      (heap, a) => addon.batchNormTrainingGrad(heap, a, epsilon),
      [offsetOf(backend, beta)],
    );
  };

  return onWasm({
    [FusedBatchNorm]: batchNormInference,
    [BATCH_NORM_TRAINING]: batchNormTraining,
    [BATCH_NORM_TRAINING_GRAD]: batchNormTrainingGrad,
  });
}
