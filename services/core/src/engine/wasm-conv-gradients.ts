// Training kernels for the wasm backend: Conv2DBackpropFilter (missing upstream) and a fast
// Conv2DBackpropInput, both expressed as forward convolutions so they run on XNNPACK's Conv2D.
//
// Filter gradient: dW[i,j,c,o] = sum_{n,y,x} xpad[n, y*s+i, x*s+j, c] * dy[n,y,x,o]. Seen as a
// convolution with the batch axis as the channel axis: input xpad^T [C, Hp, Wp, N], filter
// dy^T [Ho, Wo, N, O], dilation s, valid padding -> [C, kh, kw, O].
// Input gradient: a stride-1 convolution of dy (zero-dilated by the stride, padded by k-1-pad)
// with the spatially flipped filter whose in/out channels are swapped.
import {
  backend_util,
  getKernel,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs';

/** The part of the wasm backend these kernels use: they call its own kernels, never tf ops. */
interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

class KernelRunner {
  private readonly temporaries: TensorInfo[] = [];
  constructor(private readonly backend: WasmBackendLike) {}

  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`wasm backend has no ${kernelName} kernel`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as TensorInfo;
    this.temporaries.push(out);
    return out;
  }

  /** Marks `result` as the kernel's output and frees every other intermediate. */
  finish(result: TensorInfo): TensorInfo {
    for (const info of this.temporaries) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
    return result;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Pads (positive amounts) and crops (negative amounts) the two spatial axes of an NHWC tensor. */
  padOrCrop(x: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    let out = x;
    if (top < 0 || bottom < 0 || left < 0 || right < 0) {
      const t = Math.max(0, -top);
      const l = Math.max(0, -left);
      const size = [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c];
      out = this.run('Slice', { x: out }, { begin: [0, t, l, 0], size });
    }
    if (top > 0 || bottom > 0 || left > 0 || right > 0) {
      const paddings: Pad4 = [
        [0, 0],
        [Math.max(0, top), Math.max(0, bottom)],
        [Math.max(0, left), Math.max(0, right)],
        [0, 0],
      ];
      out = this.run('PadV2', { x: out }, { paddings, constantValue: 0 });
    }
    return out;
  }

  /** Zero padding after (never before) each of the four axes. */
  pad(x: TensorInfo, after: [number, number, number, number]): TensorInfo {
    const paddings = after.map((amount) => [0, amount]);
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  /** Inserts stride-1 zeros between rows and between columns: [n,h,w,c] -> [n,h*sh,w*sw,c]. */
  dilate(x: TensorInfo, sh: number, sw: number): TensorInfo {
    if (sh === 1 && sw === 1) return x;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    // Zeros after each column, then after each row, by padding an axis of length 1.
    let out = this.pad(this.reshape(x, [n * h, w, 1, c]), [0, 0, sw - 1, 0]);
    out = this.pad(this.reshape(out, [n, h, 1, w * sw * c]), [0, 0, sh - 1, 0]);
    return this.reshape(out, [n, h * sh, w * sw, c]);
  }

  conv(x: TensorInfo, filter: TensorInfo, dilations: [number, number] = [1, 1]): TensorInfo {
    return this.run(
      'Conv2D',
      { x, filter },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations },
    );
  }
}

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | Pad4;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvGradAttrs) {
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm conv gradients support NHWC only');
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { filterShape } = attrs as unknown as { filterShape: [number, number, number, number] };
  const info = convInfo(x.shape, filterShape, attrs as unknown as ConvGradAttrs);
  const k = new KernelRunner(backend as unknown as WasmBackendLike);
  const { top, left } = info.padInfo;
  const [, h, w] = x.shape as [number, number, number, number];
  // The padded input must be exactly kh + (Ho-1)*s rows (kw + (Wo-1)*s columns) for the result to be kh x kw.
  const rows = info.filterHeight + (info.outHeight - 1) * info.strideHeight;
  const cols = info.filterWidth + (info.outWidth - 1) * info.strideWidth;
  const xPad = k.padOrCrop(x, top, rows - h - top, left, cols - w - left);
  const xT = k.transpose(xPad, [3, 1, 2, 0]);
  const dyT = k.transpose(dy, [1, 2, 0, 3]);
  const grad = k.conv(xT, dyT, [info.strideHeight, info.strideWidth]);
  return k.finish(k.transpose(grad, [1, 2, 0, 3]));
};

const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { inputShape } = attrs as unknown as { inputShape: [number, number, number, number] };
  const info = convInfo(inputShape, filter.shape, attrs as unknown as ConvGradAttrs);
  const k = new KernelRunner(backend as unknown as WasmBackendLike);
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  // dilate() leaves s-1 trailing zeros; the padding below accounts for them.
  const dilated = k.dilate(dy, sh, sw);
  const padTop = kh - 1 - info.padInfo.top;
  const padLeft = kw - 1 - info.padInfo.left;
  const dilatedRows = info.outHeight * sh;
  const dilatedCols = info.outWidth * sw;
  const padBottom = info.inHeight + kh - 1 - dilatedRows - padTop;
  const padRight = info.inWidth + kw - 1 - dilatedCols - padLeft;
  const dyPad = k.padOrCrop(dilated, padTop, padBottom, padLeft, padRight);
  const flipped = k.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = k.transpose(flipped, [0, 1, 3, 2]);
  return k.finish(k.conv(dyPad, swapped));
};

export const wasmConvGradientKernels: KernelConfig[] = [
  { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilter },
  { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc: conv2DBackpropInput },
];
