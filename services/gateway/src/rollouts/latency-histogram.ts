// Inference latency as a fixed histogram, so every gateway can add its counts to one shared Redis
// hash and quantiles come from the sum. A quantile is reported as its bucket's upper bound (at most
// one bucket width high; buckets grow by about 1.25x, so within 25%).
export const LATENCY_BUCKETS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let bound = 1; bound < 120_000; bound = Math.max(bound + 1, Math.round(bound * 1.25)))
    bounds.push(bound);
  bounds.push(120_000);
  return bounds;
})();

/** Index of the bucket a latency falls in (the last bucket takes everything above). */
export function latencyBucket(ms: number): number {
  let low = 0;
  let high = LATENCY_BUCKETS_MS.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (ms <= LATENCY_BUCKETS_MS[mid]!) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** The q-quantile (0..1) of counts per bucket index, as that bucket's upper bound; null when empty. */
export function latencyQuantile(counts: ReadonlyMap<number, number>, q: number): number | null {
  let total = 0;
  for (const count of counts.values()) total += count;
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const index of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(index)!;
    if (seen >= rank) return LATENCY_BUCKETS_MS[Math.min(index, LATENCY_BUCKETS_MS.length - 1)]!;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]!;
}
