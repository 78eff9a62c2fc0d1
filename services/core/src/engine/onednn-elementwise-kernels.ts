// Whole-tensor passes in the addon's OpenMP loops: ReLU, its gradient (RELU_GRAD), same-shape
// additions and one momentum step per variable (MOMENTUM_UPDATE). Non-float32 ReLUs and
// broadcasting or integer additions keep the wasm kernel, and so do additions too small to gain
// from a second thread.
import {
  Add,
  Relu,
  util as tfUtil,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {
  fallback,
  heapOf,
  isFloat,
  MOMENTUM_UPDATE,
  offsetOf,
  onednnKernelStats,
  onWasm,
  RELU_GRAD,
  wasmBackendOf,
  type KernelFamilyContext,
  type WasmBackendInternals,
} from './onednn-kernel-base.js';

/**
 * Same-shape additions at least this large run natively on every thread; smaller ones stay with
 * the wasm kernel, which one native thread does not beat (the addon's kParallelElementwise).
 */
export const NATIVE_ADD_MIN_ELEMENTS = 1 << 19;

export function elementwiseKernels(context: KernelFamilyContext): KernelConfig[] {
  const { addon } = context;
  const elementArgs = new Int32Array(4);
  /** relu, reluGrad or add over whole tensors: args are [count, ...inputs, output]. */
  function runElementwise(
    backend: WasmBackendInternals,
    inputs: TensorInfo[],
    run: (heap: ArrayBuffer, args: Int32Array) => void,
    outputs = 1,
    args = elementArgs,
  ): TensorInfo[] {
    const outs = Array.from({ length: outputs }, () => backend.makeOutput(inputs[0]!.shape, 'float32'));
    args[0] = inputs[0]!.shape.reduce((a, b) => a * b, 1);
    [...inputs, ...outs].forEach((info, i) => (args[1 + i] = offsetOf(backend, info)));
    if (args[0] > 0) run(heapOf(backend), args);
    onednnKernelStats.native++;
    return outs;
  }

  const relu: KernelFunc = (config) => {
    const { x } = config.inputs as Record<string, TensorInfo>;
    if (!x || !isFloat(x)) return fallback(context, Relu, config);
    return runElementwise(wasmBackendOf(config), [x], (heap, a) => addon.relu(heap, a))[0]!;
  };

  const reluGrad: KernelFunc = (config) => {
    const { dy, x } = config.inputs as Record<string, TensorInfo>;
    if (!isFloat(dy, x) || !tfUtil.arraysEqual(dy!.shape, x!.shape)) {
      throw new Error(`${RELU_GRAD} needs float32 dy and x of one shape`);
    }
    return runElementwise(wasmBackendOf(config), [dy!, x!], (heap, a) => addon.reluGrad(heap, a))[0]!;
  };

  const add: KernelFunc = (config) => {
    const { a, b } = config.inputs as Record<string, TensorInfo>;
    // Broadcasting and integer additions stay with the wasm kernel.
    if (!a || !b || !isFloat(a, b) || !tfUtil.arraysEqual(a.shape, b.shape)) {
      return fallback(context, Add, config);
    }
    // Below this size one native thread is no faster than the wasm kernel (see the addon).
    if (tfUtil.sizeFromShape(a.shape) < NATIVE_ADD_MIN_ELEMENTS)
      return context.previous(Add)!.kernelFunc(config);
    return runElementwise(wasmBackendOf(config), [a, b], (heap, args) => addon.add(heap, args))[0]!;
  };

  const momentumArgs = new Int32Array(9);
  const momentumScalars = new Float32Array(momentumArgs.buffer, 7 * 4, 2);
  const momentumUpdate: KernelFunc = (config) => {
    const { value, accumulation, gradient } = config.inputs as Record<string, TensorInfo>;
    const { momentum, learningRate, nesterov } = config.attrs as {
      momentum: number;
      learningRate: number;
      nesterov: boolean;
    };
    const shapes = [value, accumulation, gradient].map((info) => info?.shape ?? []);
    if (!isFloat(value, accumulation, gradient) || !shapes.every((s) => tfUtil.arraysEqual(s, shapes[0]!))) {
      throw new Error(`${MOMENTUM_UPDATE} needs float32 value, accumulation and gradient of one shape`);
    }
    // Slots 0-5 (count and offsets) are runElementwise's; the flag and scalars follow.
    momentumArgs[6] = nesterov ? 1 : 0;
    momentumScalars[0] = momentum;
    momentumScalars[1] = learningRate;
    return runElementwise(
      wasmBackendOf(config),
      [value!, accumulation!, gradient!],
      (heap, args) => addon.momentumUpdate(heap, args),
      2,
      momentumArgs,
    );
  };

  return onWasm({
    [Relu]: relu,
    [Add]: add,
    [RELU_GRAD]: reluGrad,
    [MOMENTUM_UPDATE]: momentumUpdate,
  });
}
