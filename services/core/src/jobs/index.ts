// Retrain jobs of @visionops/core (import from '@visionops/core/jobs'): payload, progress and
// result types, the upload check shared by gateway and trainer, Redis names and job ids.
export * from './retrain-job.js';
export * from './retrain-keys.js';
export * from './retrain-upload.js';
