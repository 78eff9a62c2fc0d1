// Latency summaries the benchmarks share: nearest-rank percentiles of a sorted list, and a median.

/** The value at percentile `p` (0-100) of `sorted`, ascending (nearest rank, no interpolation). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
