// Trainer process entry: configuration, Redis, S3, the retrain worker and the health endpoint,
// and a clean stop on SIGTERM (the job in hand goes back to the queue for another trainer).
import { createLogger, loadConfigOrExit } from '@visionops/core';
import { startTrainer, type Trainer } from './trainer.js';

const config = loadConfigOrExit();
const logger = createLogger('trainer', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });

// Stopping hands the job in hand back to the queue, where another trainer takes it at once: its
// training loop stops within a batch. Whoever sends SIGTERM (the launcher, Docker, Kubernetes) kills
// after a grace period of ~10 s, so a stop that takes longer is cut short here; the job is then
// left to another trainer once its lock lapses.
const STOP_TIMEOUT_MS = 8_000;

let trainer: Trainer | undefined;
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'trainer stopping');
  const running = trainer;
  if (running) {
    const stopped = running.stop().then(
      () => 'stopped' as const,
      (error: unknown) => {
        logger.error({ err: error }, 'trainer stop failed');
        return 'failed' as const;
      },
    );
    const timer = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref(),
    );
    const outcome = await Promise.race([stopped, timer]);
    if (outcome === 'timeout') {
      // Exit 1 so that whoever stopped it can tell a stop cut short from a clean one.
      logger.warn('the trainer did not stop in time; its job is left to another trainer');
      process.exit(1);
    }
    if (outcome === 'failed') process.exit(1);
  }
  logger.info('trainer stopped');
  process.exit(0);
}
process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));

try {
  trainer = await startTrainer(config, logger);
} catch (error) {
  logger.fatal({ err: error }, 'trainer could not start');
  process.exit(1);
}
