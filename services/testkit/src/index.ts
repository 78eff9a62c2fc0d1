// @visionops/testkit: what the tests of every package share. One full-stack starter
// (startTestStack: Redis, the embedded S3, gateway and trainer processes), one way to wait on a
// condition (until / eventually), and fixtures: images, ZIPs, test models and registries, queues.
export * from './candidate-copy.js';
export * from './contract-conformance.js';
export * from './eventually.js';
export * from './fixtures.js';
export * from './image-shifts.js';
export * from './keras-fixtures.js';
export * from './registry-fixtures.js';
export * from './retrain-data.js';
export * from './retrain-fixtures.js';
export * from './test-stack.js';
export * from './switchable-proxy.js';
export * from './zip-bytes.js';
