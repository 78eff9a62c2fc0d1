// The ML engine: backend choice, the wasm training kernels and the oneDNN kernels.
export * from './backend.js';
export { wasmConvGradientKernels } from './wasm-conv-gradients.js';
export { onednnKernelStats, registerOnednnKernels } from './onednn-kernels.js';
export { loadOnednnAddon } from '@visionops/engine-native';
