// The ML engine: backend choice and the wasm training kernels.
export * from './backend.js';
export { wasmConvGradientKernels } from './wasm-conv-gradients.js';
