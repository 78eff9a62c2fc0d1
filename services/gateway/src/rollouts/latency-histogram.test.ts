// The shared latency histogram: a latency lands in the first bucket at or above it, and quantiles
// come back as bucket bounds within one bucket of the true value.
import { describe, expect, test } from 'vitest';
import { LATENCY_BUCKETS_MS, latencyBucket, latencyQuantile } from './latency-histogram.js';

describe('latency histogram', () => {
  test('when latencies are bucketed, then each bound is at or above the latency and within 25% of it', () => {
    for (const ms of [0.2, 1, 7, 42, 180, 999, 5000]) {
      const bound = LATENCY_BUCKETS_MS[latencyBucket(ms)]!;
      expect(bound).toBeGreaterThanOrEqual(ms);
      if (ms >= 4) expect(bound).toBeLessThanOrEqual(ms * 1.25 + 1);
    }
    expect(latencyBucket(1e9)).toBe(LATENCY_BUCKETS_MS.length - 1);
  });

  test('when 98 requests take 10 ms and 2 take 300 ms, then p50 is 10 and p99 is the 300 ms bucket', () => {
    const counts = new Map<number, number>([
      [latencyBucket(10), 98],
      [latencyBucket(300), 2],
    ]);
    expect(latencyQuantile(counts, 0.5)).toBe(10);
    expect(latencyQuantile(counts, 0.99)).toBe(LATENCY_BUCKETS_MS[latencyBucket(300)]);
    expect(latencyQuantile(new Map(), 0.5)).toBeNull();
  });
});
