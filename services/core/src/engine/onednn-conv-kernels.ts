// The convolutions on oneDNN: Conv2D and FusedConv2D forward (a bias and a ReLU fused),
// Conv2DBackpropInput and Conv2DBackpropFilter. NCHW, non-float32, activations other than relu
// and a bias that is not one value per output channel keep the kernel registered before.
import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedConv2D,
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

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
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

export function convolutionKernels(context: KernelFamilyContext): KernelConfig[] {
  const { addon } = context;
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
    try {
      onednnKernelStats.implementations.add(addon.conv2d(heapOf(backend), args));
    } catch (error) {
      backend.disposeData(out.dataId);
      throw error;
    }
    if (layout.kind === KIND.backwardData) lastInputGradientDy = inputs[0].dataId;
    onednnKernelStats.native++;
    return out;
  }

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
        return fallback(context, kernelName, config);
      }
      const layout = { kind: KIND.forward, relu: activation === 'relu', info };
      return runNative(wasmBackendOf(config), layout, [x, filter, bias], info.outShape);
    };

  const backpropInput: KernelFunc = (config) => {
    const { dy, filter } = config.inputs as Record<string, TensorInfo | undefined>;
    const attrs = config.attrs as unknown as ConvAttrs & { inputShape: number[] };
    const info = dy && filter ? convInfo(attrs.inputShape, filter.shape, attrs) : undefined;
    if (!dy || !filter || !info || !isFloat(dy, filter)) {
      return fallback(context, Conv2DBackpropInput, config);
    }
    const layout = { kind: KIND.backwardData, relu: false, info };
    return runNative(wasmBackendOf(config), layout, [dy, filter, undefined], [...info.inShape]);
  };

  const backpropFilter: KernelFunc = (config) => {
    const { x, dy } = config.inputs as Record<string, TensorInfo | undefined>;
    const attrs = config.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const info = x && dy ? convInfo(x.shape, attrs.filterShape, attrs) : undefined;
    if (!x || !dy || !info || !isFloat(x, dy)) return fallback(context, Conv2DBackpropFilter, config);
    const layout = { kind: KIND.backwardWeights, relu: false, info };
    return runNative(wasmBackendOf(config), layout, [x, dy, undefined], [...attrs.filterShape]);
  };

  return onWasm({
    [Conv2D]: forward(Conv2D),
    [FusedConv2D]: forward(FusedConv2D),
    [Conv2DBackpropInput]: backpropInput,
    [Conv2DBackpropFilter]: backpropFilter,
  });
}
