// Types of the oneDNN addon's loader.

export interface OnednnAddon {
  /**
   * One convolution in place on `heap` (the wasm heap); `args` holds the kind (0 forward,
   * 1 input gradient, 2 filter gradient), relu, has-bias, four byte offsets and the shapes in the
   * order of CONV_ARGS in the engine. Returns the oneDNN implementation that ran.
   */
  conv2d(heap: ArrayBuffer, args: Int32Array): string;
  /** args: [rows, channels, x, mean, variance, scale or -1, offset or -1, y] (byte offsets). */
  batchNormInference(heap: ArrayBuffer, args: Int32Array, epsilon: number): void;
  /**
   * args: [rows, channels, x, gamma, beta, y, mean, variance, relu]: batch statistics and output,
   * with a ReLU applied to the output when relu is 1.
   */
  batchNormTraining(heap: ArrayBuffer, args: Int32Array, epsilon: number): void;
  /**
   * args: [rows, channels, dy, x, mean, variance, gamma, dx, dGamma, dBeta, beta or -1]; with
   * beta, dy is the gradient after a ReLU that followed the normalisation (batchNormTraining's relu).
   */
  batchNormTrainingGrad(heap: ArrayBuffer, args: Int32Array, epsilon: number): void;
  /** args: [count, x, y]: y = max(x, 0). */
  relu(heap: ArrayBuffer, args: Int32Array): void;
  /** args: [count, dy, x, dx]: dx = dy where x > 0, else 0. */
  reluGrad(heap: ArrayBuffer, args: Int32Array): void;
  /** args: [count, a, b, y]: y = a + b, one shape. */
  add(heap: ArrayBuffer, args: Int32Array): void;
  /**
   * args: [count, value, accumulation, gradient, newValue, newAccumulation, nesterov, momentum,
   * learningRate], the last two as float32 bits: one MomentumOptimizer step of one variable.
   */
  momentumUpdate(heap: ArrayBuffer, args: Int32Array): void;
  /** args: [outer, reduce, inner, x, y]: y[o][i] = max over r of x[o][r][i]. */
  maxReduce(heap: ArrayBuffer, args: Int32Array): void;
  /**
   * args: [n, h, w, c, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft, x, y]:
   * max pooling over NHWC.
   */
  maxPool(heap: ArrayBuffer, args: Int32Array): void;
  /** args: the same shape, then dy, x, dx: the gradient goes to each window's first maximum. */
  maxPoolGrad(heap: ArrayBuffer, args: Int32Array): void;
  /**
   * How this thread's later convolutions run: "auto" (Winograd F(4x4, 3x3) for 3x3 stride-1
   * convolutions of at least 32 images and 16 channels in and out, where this CPU has it; direct
   * otherwise), "direct" or "winograd" (wherever the shape allows). Returns the previous one. The
   * default comes from VISIONOPS_CONV_ALGORITHM, else "auto".
   */
  setConvAlgorithm(algorithm: 'auto' | 'direct' | 'winograd'): 'auto' | 'direct' | 'winograd';
  /** Sets this thread's OpenMP thread count for later calls; returns the previous one. */
  setThreads(threads: number): number;
  /** The library version and its CPU runtime, e.g. "2.6.3 (OpenMP)". */
  version(): string;
}

export function loadOnednnAddon(): { addon: OnednnAddon } | { reason: string };
