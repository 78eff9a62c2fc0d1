// Gateway process entry: configuration, HTTP server, and a graceful stop on SIGTERM or SIGINT.
import { createLogger, loadConfigOrExit } from '@visionops/core';
import { startWebServer, stopWebServer } from './web-server.js';

const config = loadConfigOrExit();
const logger = createLogger('gateway', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'gateway stopping');
  await stopWebServer();
  logger.info('gateway stopped');
  process.exit(0);
}
process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));

try {
  await startWebServer(config, logger);
} catch (error) {
  logger.fatal({ err: error }, 'gateway could not start');
  process.exit(1);
}
