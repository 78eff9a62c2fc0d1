// GET /trainers: the trainer processes alive now, read from the heartbeat keys each trainer
// refreshes in Redis (a trainer that stops deletes its key; one that dies drops out when the key
// expires). Information only: readiness does not depend on it.
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { RedisKeys } from '@visionops/core';
import { trainerBeatSchema, trainersSchema, type TrainerBeat } from '@visionops/core/contract';
import type { RouteDoc } from './api/route-docs.js';

export const trainerRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/trainers',
    tag: 'operations',
    summary: 'The live trainer processes and the job each one is running',
    responses: { 200: { description: 'live trainers', schema: trainersSchema } },
  },
];

export async function liveTrainers(redis: Redis, queuePrefix: string): Promise<TrainerBeat[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(
      cursor,
      'MATCH',
      RedisKeys.trainerHeartbeat(queuePrefix, '*'),
      'COUNT',
      500,
    );
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const trainers: TrainerBeat[] = [];
  for (const value of values) {
    if (value === null) continue; // expired between SCAN and MGET
    try {
      const parsed = trainerBeatSchema.safeParse(JSON.parse(value));
      if (parsed.success) trainers.push(parsed.data);
    } catch {
      // not a heartbeat: skip it
    }
  }
  return trainers.sort((a, b) => a.id.localeCompare(b.id));
}

export function trainerRoutes(redis: Redis, queuePrefix: string): Router {
  const router = Router();
  router.get('/trainers', async (_req, res) => {
    res.json({ trainers: await liveTrainers(redis, queuePrefix) });
  });
  return router;
}
