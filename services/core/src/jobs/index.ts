// Jobs of @visionops/core (import from '@visionops/core/jobs'): retrain and import payloads,
// progress and result types, the upload check shared by gateway and trainer, Redis names and job ids.
// The job's shared shapes (options, progress, results) live in the API contract.
export * from '../contract/jobs.js';
export * from './import-job.js';
export * from './job-cancellation.js';
export * from './job-payload.js';
export * from './retrain-job.js';
export * from './retrain-keys.js';
export * from './retrain-upload.js';
export * from './trainer-heartbeat.js';
