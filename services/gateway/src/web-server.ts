// Starts and stops the gateway's HTTP server; tests run it in-process on port 0.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Config, type Logger } from '@visionops/core';
import { createApp } from './app.js';

let server: Server | undefined;

export interface WebServerAddress {
  url: string;
  port: number;
}

export async function startWebServer(
  config: Pick<Config, 'HOST' | 'PORT' | 'LOG_LEVEL' | 'LOG_PRETTY'>,
  logger: Logger = createLogger('gateway', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
): Promise<WebServerAddress> {
  if (server) throw new Error('the web server is already running');
  const app = createApp(logger);
  const started = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.PORT, config.HOST, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  server = started;
  const { port } = started.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host}:${port}`;
  logger.info({ url }, 'gateway listening');
  return { url, port };
}

/** Lets requests in flight finish (up to `graceMs`), then closes the connections still open. */
export async function stopWebServer(graceMs = 10_000): Promise<void> {
  const stopping = server;
  if (!stopping) return;
  server = undefined;
  const closed = new Promise<void>((resolve) => stopping.close(() => resolve()));
  stopping.closeIdleConnections();
  const timer = setTimeout(() => stopping.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
