// Zero-downtime swaps: no request fails while models are swapped under concurrent load, and after
// many swaps every inference thread holds as many tensors as with one model (old ones disposed).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, syntheticImage } from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

let gw: TestGateway;
let versions: [string, string];

beforeAll(async () => {
  // Swaps follow the promotion events; the poll is the designed fallback for a missed one.
  gw = await startTestGateway({ env: { INFERENCE_THREADS: '2', MODEL_POLL_INTERVAL_MS: '2000' } });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
  versions = [gw.gateway.pool.modelVersion!, (await gw.publish(2)).version];
});
afterAll(async () => {
  await gw.stop();
});

/** Promotes the other version (announced on the channel) and waits until the gateway serves it. */
async function swap(index: number): Promise<void> {
  const target = versions[index % 2]!;
  await gw.storage.registry.promote(target, `swap ${index}`);
  await eventually(() => gw.gateway.pool.modelVersion === target, 10_000);
}

describe('hot reload under load', () => {
  test('when 20 swaps happen under concurrent load, then no request fails and both versions answer', async () => {
    const data = await syntheticImage(6, 6);
    const statuses = new Map<number, number>();
    const served = new Set<string>();
    let stop = false;
    const client = async () => {
      while (!stop) {
        const form = imageForm('file', [{ name: 'a.png', data }]);
        const response = await fetch(`${gw.url}/predict`, { method: 'POST', body: form });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.ok) served.add(((await response.json()) as { modelVersion: string }).modelVersion);
        else await response.body?.cancel();
      }
    };
    const clients = Array.from({ length: 8 }, client);
    try {
      for (let i = 1; i <= 20; i++) await swap(i);
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(20);
    expect([...served].sort()).toEqual([...versions].sort());
  });

  test('when 50 swaps have happened, then every thread is back to its tensor count and RSS growth is bounded', async () => {
    const baseline = await gw.gateway.pool.workerStats();
    const rssBefore = process.memoryUsage().rss;
    for (let i = 1; i <= 50; i++) await swap(i);
    // An even number of swaps ends on the version the baseline was taken with.
    const after = await gw.gateway.pool.workerStats();
    expect(after.map((stats) => stats.version)).toEqual(baseline.map((stats) => stats.version));
    expect(after.map((stats) => stats.numTensors)).toEqual(baseline.map((stats) => stats.numTensors));
    const growthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    console.info(`RSS growth after 50 swaps (2 threads): ${growthMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(150);
  });
});
