// Gateway process entry: configuration, HTTP server, and a graceful stop on SIGTERM or SIGINT.
import { createLogger, loadConfigOrExit } from '@visionops/core';
import { startWebServer, type WebServer } from './web-server.js';

const config = loadConfigOrExit();
const logger = createLogger('gateway', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });

// Requests in flight get this long to finish before their connections are closed; whoever sends
// SIGTERM (the launcher, Docker, Kubernetes) kills after a grace period of ~10 s.
const REQUEST_GRACE_MS = 8_000;
// Past this the stop itself is stuck (a model load on an unanswering S3, say): exit anyway.
const STOP_TIMEOUT_MS = 9_500;

let server: WebServer | undefined;
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'gateway stopping');
  setTimeout(() => {
    logger.error({ timeoutMs: STOP_TIMEOUT_MS }, 'gateway did not stop in time; exiting');
    process.exit(1);
  }, STOP_TIMEOUT_MS).unref();
  try {
    await server?.stop(REQUEST_GRACE_MS);
  } catch (error) {
    logger.error({ err: error }, 'gateway stop failed');
    process.exit(1);
  }
  logger.info('gateway stopped');
  process.exit(0);
}
process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));

try {
  server = await startWebServer(config, logger);
} catch (error) {
  logger.fatal({ err: error }, 'gateway could not start');
  process.exit(1);
}
