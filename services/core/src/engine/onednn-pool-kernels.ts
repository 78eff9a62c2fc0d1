// Max pooling, its gradient and max reductions in the addon's OpenMP loops. Non-float32 tensors,
// dilated pooling and reductions over axes that are not adjacent keep the wasm kernel.
import {
  backend_util,
  Max,
  MaxPool,
  MaxPoolGrad,
  util as tfUtil,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {
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

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

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

export function poolingKernels(context: KernelFamilyContext): KernelConfig[] {
  const { addon } = context;

  const maxArgs = new Int32Array(5);
  const max: KernelFunc = (config) => {
    const { x } = config.inputs as Record<string, TensorInfo>;
    const { reductionIndices, keepDims } = config.attrs as {
      reductionIndices: number | number[];
      keepDims: boolean;
    };
    const axes = x ? tfUtil.parseAxisParam(reductionIndices, x.shape).sort((p, q) => p - q) : [];
    const contiguous = axes.every((axis, i) => axis === axes[0]! + i);
    if (!x || !isFloat(x) || axes.length === 0 || !contiguous) return fallback(context, Max, config);
    const size = (dims: number[]) => dims.reduce((p, q) => p * q, 1);
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    const reduce = size(x.shape.slice(first, last + 1));
    if (reduce === 0) return fallback(context, Max, config);
    const backend = wasmBackendOf(config);
    const outShape = keepDims
      ? x.shape.map((dim, i) => (axes.includes(i) ? 1 : dim))
      : x.shape.filter((_, i) => !axes.includes(i));
    const out = backend.makeOutput(outShape, 'float32');
    maxArgs.set([size(x.shape.slice(0, first)), reduce, size(x.shape.slice(last + 1))]);
    maxArgs[3] = offsetOf(backend, x);
    maxArgs[4] = offsetOf(backend, out);
    if (size(outShape) > 0) addon.maxReduce(heapOf(backend), maxArgs);
    onednnKernelStats.native++;
    return out;
  };

  const poolArgs = new Int32Array(15);
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
    if (out.shape.every((size) => size > 0)) run(heapOf(backend), poolArgs);
    onednnKernelStats.native++;
    return out;
  }

  const maxPool: KernelFunc = (config) => {
    const { x } = config.inputs as Record<string, TensorInfo>;
    const info = x ? poolInfo(x, config.attrs as unknown as PoolAttrs) : undefined;
    if (!x || !info) return fallback(context, MaxPool, config);
    return runPool(wasmBackendOf(config), info, [x], info.outShape, (heap, a) => addon.maxPool(heap, a));
  };

  const maxPoolGrad: KernelFunc = (config) => {
    const { dy, input } = config.inputs as Record<string, TensorInfo>;
    const info = input ? poolInfo(input, config.attrs as unknown as PoolAttrs) : undefined;
    if (!dy || !input || !info || !isFloat(dy)) return fallback(context, MaxPoolGrad, config);
    return runPool(wasmBackendOf(config), info, [dy, input], input.shape, (heap, a) =>
      addon.maxPoolGrad(heap, a),
    );
  };

  return onWasm({ [Max]: max, [MaxPool]: maxPool, [MaxPoolGrad]: maxPoolGrad });
}
