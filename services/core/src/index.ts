// Public surface of @visionops/core: everything the gateway, the trainer and the tools share.
export * from './config.js';
export * from './explanation.js';
export * from './labels.js';
export * from './logger.js';
export * from './names.js';
export * from './outage-log.js';
export * from './paths.js';
export * from './preprocess.js';
export * from './typescript-worker.js';
