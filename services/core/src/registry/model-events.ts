// Messages on the Redis channel CHANNEL_MODELS: what a publisher sends and what a gateway accepts.
import { z } from 'zod';
import { MODEL_VERSION_PATTERN } from '../names.js';

export const modelEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('promoted'), version: z.string().regex(MODEL_VERSION_PATTERN) }),
  // A rollout started or ended: gateways reread models/rollout.json.
  z.object({ type: z.literal('rollout'), id: z.string().max(64), action: z.enum(['started', 'ended']) }),
]);

export type ModelEvent = z.infer<typeof modelEventSchema>;

/** The event in a channel message, or undefined for anything malformed (never throws). */
export function parseModelEvent(message: string): ModelEvent | undefined {
  try {
    const result = modelEventSchema.safeParse(JSON.parse(message));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
