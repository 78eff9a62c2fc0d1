// Trainer process entry: configuration, Redis, S3, the retrain worker and the health endpoint,
// and a clean stop on SIGTERM (the job in hand may finish within the grace period).
import { createLogger, loadConfigOrExit } from '@visionops/core';
import { startTrainer, type Trainer } from './trainer.js';

const config = loadConfigOrExit();
const logger = createLogger('trainer', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });

// Whoever sends SIGTERM (the launcher, Docker, Kubernetes) kills after a grace period of ~10 s;
// a job still running by then is not waited for: its lock lapses and another trainer resumes it.
const STOP_GRACE_MS = 8_000;

let trainer: Trainer | undefined;
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'trainer stopping');
  const running = trainer;
  if (running) {
    const graceful = running.stop();
    const timer = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), STOP_GRACE_MS).unref(),
    );
    if ((await Promise.race([graceful.then(() => 'stopped' as const), timer])) === 'timeout') {
      logger.warn('the job in hand did not finish in time; leaving it to another trainer');
    }
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
