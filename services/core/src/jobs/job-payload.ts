// Every job of the queue, discriminated by job name: one payload and one result type per JobName.
import type { JobName } from '../names.js';
import type { ImportResult, RetrainResult } from '../contract/jobs.js';
import type { ImportJobData } from './import-job.js';
import type { RetrainJobData } from './retrain-job.js';

export type JobPayload =
  | { name: typeof JobName.Retrain; data: RetrainJobData; result: RetrainResult }
  | { name: typeof JobName.Import; data: ImportJobData; result: ImportResult };
export type JobOf<Name extends JobName> = Extract<JobPayload, { name: Name }>['data'];
export type JobResultOf<Name extends JobName> = Extract<JobPayload, { name: Name }>['result'];
