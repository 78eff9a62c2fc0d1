// What GET /jobs and /jobs/:id show of a BullMQ job: its state in the API's words (queued, active,
// completed, failed, cancelled), progress, result and timestamps.
import type { Job, JobState } from 'bullmq';
import { JobName } from '@visionops/core';
import {
  CANCELLED_REASON,
  type ImportJobData,
  type JobOf,
  type JobResult,
  type RetrainProgress,
  type RetrainPromoteMode,
} from '@visionops/core/jobs';

export type ApiJobState = 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';

export interface JobView {
  id: string;
  /** `retrain` (POST /retrain) or `import` (POST /models/import). */
  kind: JobName;
  state: ApiJobState;
  /** A cancel was asked for and the trainer has not stopped yet. */
  cancelRequested: boolean;
  /** Fine-tuning epochs; 0 for an import, which trains nothing. */
  epochs: number;
  /** How a version that passes the gate reaches production (a direct promotion, or a rollout). */
  promote: RetrainPromoteMode;
  upload: { sha256: string; bytes: number; fileName: string | null };
  /** An import's options. */
  import: Pick<ImportJobData, 'format' | 'preprocessing' | 'promote'> | null;
  /** An import reports only `phase` (downloading, converting, evaluating, publishing). */
  progress: RetrainProgress | null;
  result: JobResult | null;
  failedReason: string | null;
  attempts: { made: number; max: number };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  statusUrl: string;
}

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
  const progress = typeof job.progress === 'object' ? (job.progress as unknown as RetrainProgress) : null;
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
