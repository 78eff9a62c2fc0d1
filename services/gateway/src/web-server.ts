// Starts and stops the gateway: its parts (inference threads, model reloader, connections) and its
// HTTP server. Tests run it in-process on port 0.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Config, type Logger } from '@visionops/core';
import { createApp } from './app.js';
import { Gateway, type GatewayOptions } from './gateway.js';

let running: { server: Server; gateway: Gateway } | undefined;

export interface WebServerAddress {
  url: string;
  port: number;
  gateway: Gateway;
}

export async function startWebServer(
  config: Config,
  logger: Logger = createLogger('gateway', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
  options: GatewayOptions = {},
): Promise<WebServerAddress> {
  if (running) throw new Error('the web server is already running');
  const gateway = new Gateway(config, logger, options);
  try {
    await gateway.start();
    const app = createApp(gateway);
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(config.PORT, config.HOST, (error?: Error) =>
        error ? reject(error) : resolve(listening),
      );
    });
    running = { server, gateway };
    const { port } = server.address() as AddressInfo;
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
    const url = `http://${host}:${port}`;
    logger.info({ url }, 'gateway listening');
    return { url, port, gateway };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}

/** Lets requests in flight finish (up to `graceMs`), closes the connections still open, then the gateway. */
export async function stopWebServer(graceMs = 10_000): Promise<void> {
  const stopping = running;
  if (!stopping) return;
  running = undefined;
  const { server, gateway } = stopping;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
  await gateway.stop();
}
