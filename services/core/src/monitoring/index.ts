// Model monitoring shared by the gateway and the trainer: input statistics and drift measures.
export * from './drift.js';
export * from './image-info.js';
export * from './input-statistics.js';
export * from './drift-reference-sample.js';
