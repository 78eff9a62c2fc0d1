// A trainer's heartbeat: a Redis key per trainer process holding who it is and the job in hand,
// refreshed every few seconds with a short TTL, so a trainer that dies drops out on its own and
// one that stops cleanly deletes its key. Gateways list the keys to report live trainers.
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { TrainerBeat } from '../contract/operations.js';
import type { Logger } from '../logger.js';
import { RedisKeys } from '../names.js';
import { OutageLog } from '../outage-log.js';

export const HEARTBEAT_INTERVAL_MS = 3000;
export const HEARTBEAT_TTL_MS = 10_000;

export interface Heartbeat {
  /** Records the job in hand (null when idle) and beats at once. */
  setJob(jobId: string | null): void;
  /** Stops beating and deletes the key. */
  stop(): Promise<void>;
}

/** This trainer process's id, as its heartbeat and the jobs it takes (BullMQ `processedBy`) show it. */
export function trainerId(): string {
  return `${hostname()}:${process.pid}`;
}

export function startHeartbeat(redis: Redis, queuePrefix: string, logger: Logger): Heartbeat {
  const beat: TrainerBeat = {
    id: trainerId(),
    startedAt: new Date().toISOString(),
    busy: false,
    jobId: null,
  };
  const key = RedisKeys.trainerHeartbeat(queuePrefix, beat.id);
  const outage = new OutageLog(
    logger,
    'could not write the trainer heartbeat',
    'trainer heartbeat written again',
  );
  let stopped = false;
  const send = (): void => {
    // A job event after stop() must not bring the deleted key back for another TTL.
    if (stopped) return;
    redis
      .set(key, JSON.stringify(beat), 'PX', HEARTBEAT_TTL_MS)
      .then(() => outage.recovered())
      .catch((error: unknown) => outage.failed(error));
  };
  send();
  const timer = setInterval(send, HEARTBEAT_INTERVAL_MS).unref();
  return {
    setJob(jobId) {
      beat.jobId = jobId;
      beat.busy = jobId !== null;
      send();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await redis.del(key).catch(() => undefined);
    },
  };
}
