// Kernels of the wasm backend that run in the native addon (oneDNN convolutions; OpenMP batch
// normalisation, ReLU, max pooling and their gradients, same-shape additions, max reductions) in
// place on the wasm heap: each call passes the heap's ArrayBuffer and the tensors' byte offsets,
// so no tensor is copied. Cases the addon does not cover (NCHW, non-float32, activations other
// than relu, a bias or statistics that are not one value per channel, dilated pooling,
// broadcasting additions, reductions over axes that are not adjacent) keep the kernel that was
// registered before.
import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedBatchNorm,
  FusedConv2D,
  getKernel,
  Add,
  Max,
  MaxPool,
  MaxPoolGrad,
  Relu,
  registerKernel,
  unregisterKernel,
  util as tfUtil,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { OnednnAddon } from '@visionops/engine-native';

/** The parts of the wasm backend the kernels use. */
interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

// Positions in the Int32Array the addon reads (the same order as its Arg enum).
const ARG = {
  kind: 0,
  relu: 1,
  hasBias: 2,
  in0: 3,
  in1: 4,
  in2: 5,
  out: 6,
  shape: 7, // n, h, w, c, kh, kw, o, oh, ow, sh, sw, padTop, padLeft, padBottom, padRight, dilH, dilW
  /** 1 when a filter gradient's dy is the tensor the input gradient called just before read. */
  sameDy: 24,
  count: 25,
} as const;
const KIND = { forward: 0, backwardData: 1, backwardWeights: 2 } as const;

/**
 * Batch normalisation with batch statistics over the last axis, as training runs it: inputs
 * x, gamma, beta; attrs epsilon and relu (a ReLU after it, in the same pass); outputs y, mean,
 * variance. Only the oneDNN engine has it.
 */
export const BATCH_NORM_TRAINING = 'VisionopsBatchNormTraining';
/**
 * Its gradient: inputs dy, x, mean, variance, gamma and, when the forward kernel ran with relu,
 * beta; attrs epsilon; outputs dx, dGamma, dBeta.
 */
export const BATCH_NORM_TRAINING_GRAD = 'VisionopsBatchNormTrainingGrad';
/**
 * One MomentumOptimizer step of one variable in one pass: inputs value, accumulation, gradient
 * (float32, one shape); attrs momentum, learningRate, nesterov; outputs the new value and the new
 * accumulation. Only the oneDNN engine has it (FusedMomentumOptimizer uses it).
 */
export const MOMENTUM_UPDATE = 'VisionopsMomentumUpdate';
/** The gradient of ReLU in one pass: inputs dy, x; output dy where x > 0, else 0. */
export const RELU_GRAD = 'VisionopsReluGrad';

/**
 * Same-shape additions at least this large run natively on every thread; smaller ones stay with
 * the wasm kernel, which one native thread does not beat (the addon's kParallelElementwise).
 */
export const NATIVE_ADD_MIN_ELEMENTS = 1 << 19;

/** The kernels of the wasm backend that the native ones replace (the others are new names). */
const REPLACED_KERNELS = [
  FusedBatchNorm,
  Conv2D,
  FusedConv2D,
  Conv2DBackpropInput,
  Conv2DBackpropFilter,
  Relu,
  MaxPool,
  MaxPoolGrad,
  Add,
  Max,
];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Counts of what ran where, for tests and the benchmark. */
export interface OnednnKernelStats {
  native: number;
  fallback: number;
  /** The oneDNN implementation of each convolution shape that ran, e.g. "brg:avx512_core". */
  implementations: Set<string>;
}

export const onednnKernelStats: OnednnKernelStats = { native: 0, fallback: 0, implementations: new Set() };

/** A tensor's byte offset in the wasm heap, or -1 for an absent optional input. */
function offsetOf(backend: WasmBackendInternals, info: TensorInfo | undefined): number {
  if (!info) return -1;
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error('tensor is not on the wasm backend');
  return data.memoryOffset;
}

type Layout = { kind: number; relu: boolean; info: backend_util.Conv2DInfo };

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): backend_util.Conv2DInfo | undefined {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

function packArgs(args: Int32Array, layout: Layout, offsets: [number, number, number, number]): void {
  const { info } = layout;
  args[ARG.kind] = layout.kind;
  args[ARG.relu] = layout.relu ? 1 : 0;
  args[ARG.hasBias] = offsets[2] >= 0 ? 1 : 0;
  args[ARG.in0] = offsets[0];
  args[ARG.in1] = offsets[1];
  args[ARG.in2] = Math.max(0, offsets[2]);
  args[ARG.out] = offsets[3];
  args.set(
    [
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.filterHeight,
      info.filterWidth,
      info.outChannels,
      info.outHeight,
      info.outWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      info.padInfo.bottom,
      info.padInfo.right,
      info.dilationHeight,
      info.dilationWidth,
    ],
    ARG.shape,
  );
}

/**
 * Builds the kernels over `addon`; `previous` gives the kernel each one replaces, used for
 * the cases the addon does not cover.
 */
export function createOnednnKernels(
  addon: OnednnAddon,
  previous: (kernelName: string) => KernelConfig | undefined,
): KernelConfig[] {
  const args = new Int32Array(ARG.count);
  // The dy of the last convolution call if it was an input gradient: a filter gradient of the
  // same dy next (tf.grads asks for both, one after the other) may reuse the addon's reorder of
  // it. A tensor's data never changes while it lives, and the data id is new for every tensor.
  let lastInputGradientDy: TensorInfo['dataId'] | undefined;

  /** Runs one convolution natively; inputs are [in0, in1, bias or undefined]. */
  function runNative(
    backend: WasmBackendInternals,
    layout: Layout,
    inputs: [TensorInfo, TensorInfo, TensorInfo | undefined],
    outShape: number[],
  ): TensorInfo {
    const sameDy = layout.kind === KIND.backwardWeights && inputs[1].dataId === lastInputGradientDy;
    lastInputGradientDy = undefined;
    const out = backend.makeOutput(outShape, 'float32');
    if (out.shape.some((size) => size === 0)) return out;
    const offsets = [...inputs, out].map((info) => offsetOf(backend, info));
    packArgs(args, layout, offsets as [number, number, number, number]);
    args[ARG.sameDy] = sameDy ? 1 : 0;
    // Read after makeOutput: allocating may have grown the wasm memory, which replaces its buffer.
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    try {
      onednnKernelStats.implementations.add(addon.conv2d(heap, args));
    } catch (error) {
      backend.disposeData(out.dataId);
      throw error;
    }
    if (layout.kind === KIND.backwardData) lastInputGradientDy = inputs[0].dataId;
    onednnKernelStats.native++;
    return out;
  }

  function fallback(kernelName: string, config: Parameters<KernelFunc>[0]) {
    const kernel = previous(kernelName);
    if (!kernel) throw new Error(`no wasm ${kernelName} kernel to fall back to`);
    onednnKernelStats.fallback++;
    return kernel.kernelFunc(config);
  }

  const isFloat = (...infos: (TensorInfo | undefined)[]) =>
    infos.every((info) => info === undefined || info.dtype === 'float32');

  const forward =
    (kernelName: string): KernelFunc =>
    (config) => {
      const { x, filter, bias, preluActivationWeights } = config.inputs as Record<
        string,
        TensorInfo | undefined
      >;
      const attrs = config.attrs as unknown as ConvAttrs;
      const activation = attrs.activation ?? 'linear';
      const info = x && filter ? convInfo(x.shape, filter.shape, attrs) : undefined;
      const biasFits = bias === undefined || (bias.shape.length <= 1 && bias.shape[0] === info?.outChannels);
      if (
        !x ||
        !filter ||
        !info ||
        !biasFits ||
        preluActivationWeights ||
        (activation !== 'linear' && activation !== 'relu') ||
        !isFloat(x, filter, bias)
      ) {
        return fallback(kernelName, config);
      }
      const layout = { kind: KIND.forward, relu: activation === 'relu', info };
      return runNative(
        config.backend as unknown as WasmBackendInternals,
        layout,
        [x, filter, bias],
        info.outShape,
      );
    };

  const backpropInput: KernelFunc = (config) => {
    const { dy, filter } = config.inputs as Record<string, TensorInfo | undefined>;
    const attrs = config.attrs as unknown as ConvAttrs & { inputShape: number[] };
    const info = dy && filter ? convInfo(attrs.inputShape, filter.shape, attrs) : undefined;
    if (!dy || !filter || !info || !isFloat(dy, filter)) return fallback(Conv2DBackpropInput, config);
    const layout = { kind: KIND.backwardData, relu: false, info };
    return runNative(
      config.backend as unknown as WasmBackendInternals,
      layout,
      [dy, filter, undefined],
      [...info.inShape],
    );
  };

  const backpropFilter: KernelFunc = (config) => {
    const { x, dy } = config.inputs as Record<string, TensorInfo | undefined>;
    const attrs = config.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const info = x && dy ? convInfo(x.shape, attrs.filterShape, attrs) : undefined;
    if (!x || !dy || !info || !isFloat(x, dy)) return fallback(Conv2DBackpropFilter, config);
    const layout = { kind: KIND.backwardWeights, relu: false, info };
    return runNative(
      config.backend as unknown as WasmBackendInternals,
      layout,
      [x, dy, undefined],
      [...attrs.filterShape],
    );
  };

  const channelsOf = (x: TensorInfo) => x.shape[x.shape.length - 1] ?? 1;
  const perChannel = (channels: number, ...infos: (TensorInfo | undefined)[]) =>
    infos.every((info) => info === undefined || (info.shape.length === 1 && info.shape[0] === channels));
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
    if (bnArgs[0] > 0 && bnArgs[1] > 0) run(backend.wasm.HEAPU8.buffer as ArrayBuffer, bnArgs);
    onednnKernelStats.native++;
    return outs;
  }

  const batchNormInference: KernelFunc = (config) => {
    const { x, mean, variance, offset, scale } = config.inputs as Record<string, TensorInfo | undefined>;
    const { varianceEpsilon } = config.attrs as { varianceEpsilon: number };
    if (!x || !mean || !variance || !isFloat(x, mean, variance, offset, scale)) {
      return fallback(FusedBatchNorm, config);
    }
    if (!perChannel(channelsOf(x), mean, variance, offset, scale)) return fallback(FusedBatchNorm, config);
    const backend = config.backend as unknown as WasmBackendInternals;
    return runBatchNorm(backend, [x, mean, variance, scale, offset], [x.shape], (heap, a) =>
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
    const backend = config.backend as unknown as WasmBackendInternals;
    return runBatchNorm(
      backend,
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
    const backend = config.backend as unknown as WasmBackendInternals;
    return runBatchNorm(
      backend,
      [dy, x, mean, variance, gamma],
      [x!.shape, [channels], [channels]],
      (heap, a) => addon.batchNormTrainingGrad(heap, a, epsilon),
      [offsetOf(backend, beta)],
    );
  };

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
    if (args[0] > 0) run(backend.wasm.HEAPU8.buffer as ArrayBuffer, args);
    onednnKernelStats.native++;
    return outs;
  }

  const relu: KernelFunc = (config) => {
    const { x } = config.inputs as Record<string, TensorInfo>;
    if (!x || !isFloat(x)) return fallback(Relu, config);
    const backend = config.backend as unknown as WasmBackendInternals;
    return runElementwise(backend, [x], (heap, a) => addon.relu(heap, a))[0]!;
  };

  const reluGrad: KernelFunc = (config) => {
    const { dy, x } = config.inputs as Record<string, TensorInfo>;
    if (!isFloat(dy, x) || !tfUtil.arraysEqual(dy!.shape, x!.shape)) {
      throw new Error(`${RELU_GRAD} needs float32 dy and x of one shape`);
    }
    const backend = config.backend as unknown as WasmBackendInternals;
    return runElementwise(backend, [dy!, x!], (heap, a) => addon.reluGrad(heap, a))[0]!;
  };

  const add: KernelFunc = (config) => {
    const { a, b } = config.inputs as Record<string, TensorInfo>;
    // Broadcasting and integer additions stay with the wasm kernel.
    if (!a || !b || !isFloat(a, b) || !tfUtil.arraysEqual(a.shape, b.shape)) return fallback(Add, config);
    // Below this size one native thread is no faster than the wasm kernel (see the addon).
    if (tfUtil.sizeFromShape(a.shape) < NATIVE_ADD_MIN_ELEMENTS) return previous(Add)!.kernelFunc(config);
    const backend = config.backend as unknown as WasmBackendInternals;
    return runElementwise(backend, [a, b], (heap, args) => addon.add(heap, args))[0]!;
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
    const backend = config.backend as unknown as WasmBackendInternals;
    return runElementwise(
      backend,
      [value!, accumulation!, gradient!],
      (heap, args) => addon.momentumUpdate(heap, args),
      2,
      momentumArgs,
    );
  };

  const maxArgs = new Int32Array(5);
  const max: KernelFunc = (config) => {
    const { x } = config.inputs as Record<string, TensorInfo>;
    const { reductionIndices, keepDims } = config.attrs as {
      reductionIndices: number | number[];
      keepDims: boolean;
    };
    const axes = x ? tfUtil.parseAxisParam(reductionIndices, x.shape).sort((p, q) => p - q) : [];
    const contiguous = axes.every((axis, i) => axis === axes[0]! + i);
    if (!x || !isFloat(x) || axes.length === 0 || !contiguous) return fallback(Max, config);
    const size = (dims: number[]) => dims.reduce((p, q) => p * q, 1);
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    const reduce = size(x.shape.slice(first, last + 1));
    if (reduce === 0) return fallback(Max, config);
    const backend = config.backend as unknown as WasmBackendInternals;
    const outShape = keepDims
      ? x.shape.map((dim, i) => (axes.includes(i) ? 1 : dim))
      : x.shape.filter((_, i) => !axes.includes(i));
    const out = backend.makeOutput(outShape, 'float32');
    maxArgs.set([size(x.shape.slice(0, first)), reduce, size(x.shape.slice(last + 1))]);
    maxArgs[3] = offsetOf(backend, x);
    maxArgs[4] = offsetOf(backend, out);
    if (size(outShape) > 0) addon.maxReduce(backend.wasm.HEAPU8.buffer as ArrayBuffer, maxArgs);
    onednnKernelStats.native++;
    return out;
  };

  const poolArgs = new Int32Array(15);
  /** The pooling geometry, or undefined for the cases the addon leaves to the wasm kernel. */
  function poolInfo(x: TensorInfo, attrs: PoolAttrs): backend_util.Conv2DInfo | undefined {
    if (x.shape.length !== 4 || !isFloat(x)) return undefined;
    const info = backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    return info.dilationHeight === 1 && info.dilationWidth === 1 ? info : undefined;
  }
  function runPool(
    backend: WasmBackendInternals,
    info: backend_util.Conv2DInfo,
    inputs: TensorInfo[],
    outShape: number[],
    run: (heap: ArrayBuffer, args: Int32Array) => void,
  ): TensorInfo {
    const out = backend.makeOutput(outShape, 'float32');
    poolArgs.set([
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    ]);
    [...inputs, out].forEach((tensor, i) => (poolArgs[12 + i] = offsetOf(backend, tensor)));
    if (out.shape.every((size) => size > 0)) run(backend.wasm.HEAPU8.buffer as ArrayBuffer, poolArgs);
    onednnKernelStats.native++;
    return out;
  }

  const maxPool: KernelFunc = (config) => {
    const { x } = config.inputs as Record<string, TensorInfo>;
    const info = x ? poolInfo(x, config.attrs as unknown as PoolAttrs) : undefined;
    if (!x || !info) return fallback(MaxPool, config);
    const backend = config.backend as unknown as WasmBackendInternals;
    return runPool(backend, info, [x], info.outShape, (heap, a) => addon.maxPool(heap, a));
  };

  const maxPoolGrad: KernelFunc = (config) => {
    const { dy, input } = config.inputs as Record<string, TensorInfo>;
    const info = input ? poolInfo(input, config.attrs as unknown as PoolAttrs) : undefined;
    if (!dy || !input || !info || !isFloat(dy)) return fallback(MaxPoolGrad, config);
    const backend = config.backend as unknown as WasmBackendInternals;
    return runPool(backend, info, [dy, input], input.shape, (heap, a) => addon.maxPoolGrad(heap, a));
  };

  return [
    { kernelName: Relu, backendName: 'wasm', kernelFunc: relu },
    { kernelName: Add, backendName: 'wasm', kernelFunc: add },
    { kernelName: Max, backendName: 'wasm', kernelFunc: max },
    { kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGrad },
    { kernelName: MaxPool, backendName: 'wasm', kernelFunc: maxPool },
    { kernelName: MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGrad },
    { kernelName: FusedBatchNorm, backendName: 'wasm', kernelFunc: batchNormInference },
    { kernelName: BATCH_NORM_TRAINING, backendName: 'wasm', kernelFunc: batchNormTraining },
    { kernelName: BATCH_NORM_TRAINING_GRAD, backendName: 'wasm', kernelFunc: batchNormTrainingGrad },
    { kernelName: MOMENTUM_UPDATE, backendName: 'wasm', kernelFunc: momentumUpdate },
    { kernelName: Conv2D, backendName: 'wasm', kernelFunc: forward(Conv2D) },
    { kernelName: FusedConv2D, backendName: 'wasm', kernelFunc: forward(FusedConv2D) },
    { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc: backpropInput },
    { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: backpropFilter },
  ];
}

let restoreActive: (() => void) | undefined;

/** Whether the native kernels are registered (gradients that bypass a stock kernel check this). */
export function onednnKernelsActive(): boolean {
  return restoreActive !== undefined;
}

/**
 * Registers the oneDNN kernels on the wasm backend in place of the current ones, which stay as
 * the fallback; returns a function that puts the replaced kernels back.
 */
export function registerOnednnKernels(addon: OnednnAddon): () => void {
  // A second registration would take the oneDNN kernels for the ones to fall back to.
  if (restoreActive) return restoreActive;
  const replaced = new Map<string, KernelConfig>();
  for (const name of REPLACED_KERNELS) {
    const current = getKernel(name, 'wasm');
    if (current) replaced.set(name, current);
  }
  const kernels = createOnednnKernels(addon, (name) => replaced.get(name));
  for (const config of kernels) {
    if (replaced.has(config.kernelName)) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  restoreActive = () => {
    restoreActive = undefined;
    for (const config of kernels) {
      unregisterKernel(config.kernelName, 'wasm');
      const old = replaced.get(config.kernelName);
      if (old) registerKernel(old);
    }
  };
  return restoreActive;
}
