// What the services say about themselves: liveness, readiness and the trainers' heartbeats.
import { z } from 'zod';
import { modelVersionSchema } from './common.js';

export const healthSchema = z.object({ status: z.literal('ok') });

const checkSchema = z.enum(['ok', 'failed']);

export const readinessSchema = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']),
  modelVersion: modelVersionSchema.nullable(),
  backend: z.string().nullable(),
  /** Engines passed over at start-up (e.g. tfjs-node not installed, oneDNN addon not built) and why. */
  backendSkipped: z.array(z.object({ backend: z.string(), reason: z.string() })),
  checks: z.object({ model: checkSchema, redis: checkSchema, s3: checkSchema, backend: checkSchema }),
  reasons: z.array(z.string()),
});
export type Readiness = z.infer<typeof readinessSchema>;

/**
 * A trainer's heartbeat: the Redis key each trainer process refreshes (who it is, the job in
 * hand), which GET /trainers lists.
 */
export const trainerBeatSchema = z.object({
  id: z.string().meta({ description: 'host:pid' }),
  startedAt: z.string(),
  busy: z.boolean(),
  jobId: z.string().nullable(),
});
export type TrainerBeat = z.infer<typeof trainerBeatSchema>;

export const trainersSchema = z.object({ trainers: z.array(trainerBeatSchema) });
