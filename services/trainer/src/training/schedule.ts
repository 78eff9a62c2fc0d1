// Learning-rate schedules as functions of progress through training (0 at the first step, 1 at the end).

export type LearningRateSchedule =
  | { kind: 'one-cycle'; peak: number; warmup: number; start?: number }
  | { kind: 'constant'; value: number }
  | { kind: 'cosine'; peak: number; end?: number };

/** The rate at training progress `t` in [0, 1]. */
export function learningRateAt(schedule: LearningRateSchedule, t: number): number {
  const p = Math.min(1, Math.max(0, t));
  switch (schedule.kind) {
    case 'constant':
      return schedule.value;
    case 'cosine': {
      const end = schedule.end ?? 0;
      return end + ((schedule.peak - end) * (1 + Math.cos(Math.PI * p))) / 2;
    }
    case 'one-cycle': {
      // Linear warm-up to the peak, then linear decay to zero (the fast-CIFAR-10 recipe).
      const start = schedule.start ?? schedule.peak / 10;
      if (p < schedule.warmup) return start + ((schedule.peak - start) * p) / schedule.warmup;
      return (schedule.peak * (1 - p)) / (1 - schedule.warmup);
    }
  }
}
