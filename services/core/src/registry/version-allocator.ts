// Allocates model version ids from a Redis counter, so several trainers publishing at once never
// get the same id. The counter is raised to the highest version found in S3 first, which both
// initialises a missing key and repairs one that went backwards (a Redis restored from an old
// snapshot), so ids never repeat.
import type { Redis } from 'ioredis';
import { modelVersionId } from '../names.js';

// Atomic in Redis: raise the counter to the floor when it is below (or missing), then increment.
const ALLOCATE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if current < floor then redis.call('SET', KEYS[1], floor) end
return redis.call('INCR', KEYS[1])
`;

export async function allocateModelVersion(
  redis: Redis,
  counterKey: string,
  highestInStorage: number,
): Promise<string> {
  const next = (await redis.eval(ALLOCATE, 1, counterKey, String(highestInStorage))) as number;
  return modelVersionId(next);
}
