// What GET /jobs and /jobs/:id show of a BullMQ job (the contract's JobView): its state in the API's
// words (queued, active, completed, failed, cancelled), progress, result and timestamps.
import type { Job, JobState } from 'bullmq';
import { JobName } from '@visionops/core';
import { CANCELLED_REASON, type ApiJobState, type JobProgress, type JobView } from '@visionops/core/contract';
import type { JobOf, JobResult } from '@visionops/core/jobs';

export function statusUrlOf(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}

export function apiState(
  state: JobState | 'unknown',
  failedReason: string | undefined,
): ApiJobState | undefined {
  switch (state) {
    case 'waiting':
    case 'waiting-children':
    case 'delayed':
    case 'prioritized':
      return 'queued';
    case 'active':
      return 'active';
    case 'completed':
      return 'completed';
    case 'failed':
      return failedReason?.startsWith(CANCELLED_REASON) ? 'cancelled' : 'failed';
    default:
      return undefined;
  }
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

function importOptions(data: JobOf<JobName>): JobView['import'] {
  if (!('format' in data)) return null;
  return { format: data.format, preprocessing: data.preprocessing, promote: data.promote };
}

export function jobView(
  job: Job<JobOf<JobName>, JobResult>,
  state: ApiJobState,
  cancelRequested: boolean,
): JobView {
  const progress = typeof job.progress === 'object' ? (job.progress as unknown as JobProgress) : null;
  return {
    id: job.id!,
    kind: job.name === JobName.Import ? JobName.Import : JobName.Retrain,
    state,
    cancelRequested: cancelRequested && (state === 'active' || state === 'queued'),
    epochs: 'epochs' in job.data ? job.data.epochs : 0,
    promote: 'epochs' in job.data ? (job.data.promote ?? 'gate') : 'gate',
    upload: {
      sha256: job.data.uploadSha256,
      bytes: job.data.uploadBytes,
      fileName: job.data.fileName ?? null,
    },
    import: importOptions(job.data),
    progress,
    result: state === 'completed' ? (job.returnvalue ?? null) : null,
    failedReason: job.failedReason || null,
    attempts: { made: job.attemptsMade, max: job.opts.attempts ?? 1 },
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    statusUrl: statusUrlOf(job.id!),
  };
}
