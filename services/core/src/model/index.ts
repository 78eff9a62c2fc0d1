// Model architecture, its training-time layers, the on-disk format, the card and evaluation.
export * from './architecture.js';
export * from './evaluate-model.js';
export * from './fused-batch-norm.js';
export * from './fused-momentum.js';
export * from './model-card.js';
export * from './model-files.js';
export * from './weight-values.js';
export * from './saliency.js';
export * from './tensor-values.js';
export * from './test-time-augmentation.js';
