// The model registry and upload store on S3, shared by the gateway and the trainer.
export * from './model-events.js';
export * from './model-registry.js';
export * from './object-store.js';
export * from './registry-errors.js';
export * from './s3-client.js';
export * from './upload-store.js';
export * from './version-allocator.js';
export * from './rollout.js';
export * from './rollout-registry.js';
