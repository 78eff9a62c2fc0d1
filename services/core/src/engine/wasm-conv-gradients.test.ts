// Property tests of the project's wasm Conv2DBackpropFilter / Conv2DBackpropInput kernels against
// the stock cpu backend, called directly and through tf.grads of tf.conv2d.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkConvGradients,
  checkKernel,
  convCases,
  convEdgeCases,
  type GradientKernel,
} from '../../test/conv-cases.js';
import { startWasmAndCpu } from '../../test/tf-backends.js';
import { wasmConvGradientKernels } from './wasm-conv-gradients.js';

// A fixed seed keeps CI reproducible; fast-check prints the failing case and its path on failure.
const FC_OPTIONS = { seed: 20_250_601, numRuns: 80 };

describe('wasm convolution gradient kernels', () => {
  beforeAll(startWasmAndCpu);

  it('when the wasm backend runs a conv gradient kernel, then it is the project kernel', () => {
    for (const config of wasmConvGradientKernels) {
      expect(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc).toBe(config.kernelFunc);
    }
  });

  it.each<GradientKernel>(['Conv2DBackpropFilter', 'Conv2DBackpropInput'])(
    'when %s is called directly, then wasm matches cpu',
    async (kernel) => {
      await fc.assert(
        fc.asyncProperty(convCases, (c) => checkKernel(kernel, c)),
        FC_OPTIONS,
      );
    },
  );

  it('when tf.grads differentiates tf.conv2d, then wasm matches cpu for x and the filter', async () => {
    await fc.assert(fc.asyncProperty(convCases, checkConvGradients), { ...FC_OPTIONS, numRuns: 40 });
  });

  it.each(convEdgeCases)('when the case is %j, then both kernels and tf.grads match cpu', async (c) => {
    await checkKernel('Conv2DBackpropFilter', c);
    await checkKernel('Conv2DBackpropInput', c);
    await checkConvGradients(c);
  });
});
