// The API contract of @visionops/core (import from '@visionops/core/contract'): the zod schemas of
// every shape that crosses a process boundary (jobs, heartbeats, readiness, model cards, errors).
// Types are inferred from them and the gateway's OpenAPI document is generated from them. Pure
// data, importable from the dashboard.
export * from './common.js';
export * from './jobs.js';
export * from './models.js';
export * from './operations.js';
