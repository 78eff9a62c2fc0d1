// Reports a retrain job's progress to BullMQ: phase changes and epoch ends at once, batch updates
// at most once a second (each one is a Redis round trip).
import type { Logger } from '@visionops/core';
import type { RetrainEpochSummary, RetrainPhase, RetrainProgress } from '@visionops/core/jobs';
import type { EpochRecord } from '../training/checkpoint.js';
import type { TrainProgress } from '../training/data-parallel-trainer.js';

export interface ProgressSink {
  updateProgress(progress: RetrainProgress): Promise<void>;
}

export class JobProgress {
  private current: RetrainProgress;
  private lastSent = 0;

  constructor(
    private readonly sink: ProgressSink,
    epochs: number,
    private readonly logger: Logger,
    private readonly minIntervalMs = 1000,
  ) {
    this.current = { phase: 'downloading', epochs, history: [] };
  }

  get snapshot(): RetrainProgress {
    return this.current;
  }

  async phase(phase: RetrainPhase): Promise<void> {
    this.current = { phase, epochs: this.current.epochs, history: this.current.history };
    this.logger.info({ phase }, 'retrain phase');
    await this.send();
  }

  decoded(count: number): void {
    this.current = { ...this.current, decoded: count };
    this.sendThrottled();
  }

  training(progress: TrainProgress): void {
    this.current = {
      ...this.current,
      phase: 'training',
      epoch: progress.epoch,
      batch: progress.batch,
      batches: progress.batches,
      loss: progress.loss,
      accuracy: progress.accuracy,
    };
    this.sendThrottled();
  }

  epoch(record: EpochRecord): void {
    const summary: RetrainEpochSummary = {
      epoch: record.epoch,
      loss: record.loss,
      accuracy: record.accuracy,
      seconds: record.seconds,
    };
    this.current = { ...this.current, history: [...this.current.history, summary] };
    this.logger.info(summary, 'retrain epoch done');
    this.lastSent = 0;
    this.sendThrottled();
  }

  private sendThrottled(): void {
    if (Date.now() - this.lastSent < this.minIntervalMs) return;
    // Progress is advisory: a lost update must not fail training, so it is logged, not thrown.
    this.send().catch((error: unknown) => this.logger.warn({ err: error }, 'progress update failed'));
  }

  private async send(): Promise<void> {
    this.lastSent = Date.now();
    await this.sink.updateProgress(this.current);
  }
}
