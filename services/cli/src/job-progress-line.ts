// One line that says where a job is: its state, phase, epoch and batch as a bar, loss and accuracy.
import type { JobView } from '@visionops/core/contract';

/** What the CLI reads of GET /jobs/:id: the job's state, progress and result. */
export type JobSnapshot = Pick<JobView, 'id' | 'kind' | 'state' | 'failedReason' | 'progress' | 'result'>;

const BAR_WIDTH = 24;

/** The share of a training job done, from its epoch and batch; undefined outside training. */
export function trainingFraction(progress: NonNullable<JobSnapshot['progress']>): number | undefined {
  if (progress.phase !== 'training' || progress.epoch === undefined || progress.epochs <= 0) return undefined;
  const withinEpoch =
    progress.batch !== undefined && progress.batches ? progress.batch / progress.batches : 0;
  return Math.min(1, (progress.epoch - 1 + withinEpoch) / progress.epochs);
}

export function bar(fraction: number): string {
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.round(fraction * 100)
    .toString()
    .padStart(3)}%`;
}

export function progressLine(job: JobSnapshot): string {
  const parts = [`${job.id}`, job.state];
  const progress = job.progress;
  if (progress && (job.state === 'active' || job.state === 'queued')) {
    parts.push(progress.phase);
    const fraction = trainingFraction(progress);
    if (fraction !== undefined) {
      parts.push(bar(fraction), `epoch ${progress.epoch}/${progress.epochs}`);
      if (progress.loss !== undefined) parts.push(`loss ${progress.loss.toFixed(3)}`);
      if (progress.accuracy !== undefined) parts.push(`acc ${(progress.accuracy * 100).toFixed(1)}%`);
    } else if (progress.phase === 'decoding' && progress.decoded !== undefined) {
      parts.push(`${progress.decoded} images`);
    }
  }
  return parts.join('  ');
}

export function outcomeLine(job: JobSnapshot): string {
  if (job.state === 'completed' && job.result) {
    const { version, promoted, accuracy, productionAccuracy, reason } = job.result;
    return (
      `${version} ${promoted ? 'promoted' : 'not promoted'}: accuracy ${(accuracy * 100).toFixed(2)}% ` +
      `vs production ${(productionAccuracy * 100).toFixed(2)}%\n  ${reason}`
    );
  }
  return job.failedReason ? `${job.state}: ${job.failedReason}` : job.state;
}
