// The canary split: stable per client, close to the asked share over many clients, and widening a
// canary of the same candidate keeps the clients it already had.
import { describe, expect, test } from 'vitest';
import { clientPosition, servesCandidate } from './traffic-split.js';

describe('canary traffic split', () => {
  test('when 10,000 distinct clients are split at 20%, then 19-21% of them get the candidate', () => {
    let candidate = 0;
    for (let i = 0; i < 10_000; i++) if (servesCandidate(`id:client-${i}`, 'v7', 20)) candidate++;
    expect(candidate / 10_000).toBeGreaterThan(0.19);
    expect(candidate / 10_000).toBeLessThan(0.21);
  });

  test('when one client asks again, then it gets the same answer; at 0% and 100% the answer is fixed', () => {
    const first = servesCandidate('ip:192.0.2.1', 'v3', 50);
    for (let i = 0; i < 100; i++) expect(servesCandidate('ip:192.0.2.1', 'v3', 50)).toBe(first);
    expect(servesCandidate('ip:192.0.2.1', 'v3', 0)).toBe(false);
    expect(servesCandidate('ip:192.0.2.1', 'v3', 100)).toBe(true);
  });

  test('when a canary widens from 10% to 30%, then every client of the 10% stays on the candidate', () => {
    for (let i = 0; i < 2000; i++) {
      const key = `id:c${i}`;
      if (servesCandidate(key, 'v9', 10)) expect(servesCandidate(key, 'v9', 30)).toBe(true);
    }
    expect(clientPosition('id:c1', 'v9')).not.toBe(clientPosition('id:c1', 'v10'));
  });
});
