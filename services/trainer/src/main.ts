// Trainer process entry: configuration, Redis, the health endpoint, and a clean stop on SIGTERM.
import { createLogger, loadConfigOrExit } from '@visionops/core';
import { startTrainer, type Trainer } from './trainer.js';

const config = loadConfigOrExit();
const logger = createLogger('trainer', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });

let trainer: Trainer | undefined;
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'trainer stopping');
  await trainer?.stop();
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
