// Starts and stops a gateway: its parts (inference threads, model reloader, connections) and its
// HTTP server, with the production server's timeouts. Each call is its own instance, so tests run
// exactly this server in-process on port 0, several at once when they need several gateways.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Config, type Logger } from '@visionops/core';
import { createApp } from './app.js';
import { Gateway, type GatewayOptions } from './gateway.js';
import { serverTimeouts } from './security/server-timeouts.js';

export interface WebServer {
  url: string;
  port: number;
  gateway: Gateway;
  /** Lets requests in flight finish (up to `graceMs`), closes the connections still open, then the gateway. */
  stop(graceMs?: number): Promise<void>;
}

export async function startWebServer(
  config: Config,
  logger: Logger = createLogger('gateway', { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
  options: GatewayOptions = {},
): Promise<WebServer> {
  const gateway = new Gateway(config, logger, options);
  try {
    await gateway.start();
    const app = createApp(gateway);
    const server = createServer(serverTimeouts(config), app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const closeAfterResponse = closeConnectionsOnStop(server);
    const { port } = server.address() as AddressInfo;
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
    const url = `http://${host}:${port}`;
    logger.info({ url }, 'gateway listening');
    let stopped: Promise<void> | undefined;
    return {
      url,
      port,
      gateway,
      stop: (graceMs = 10_000) => (stopped ??= stopServer(server, gateway, closeAfterResponse, graceMs)),
    };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}

async function stopServer(
  server: Server,
  gateway: Gateway,
  closeAfterResponse: () => void,
  graceMs: number,
): Promise<void> {
  closeAfterResponse();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
  await gateway.stop();
}

/**
 * Node's close() stops accepting connections but keeps a kept-alive one open and serves the next
 * request sent on it, until the client or the keep-alive timeout ends it. Once the returned function
 * is called, every response not yet started asks its client to close the connection, so a stop
 * ends with the requests in flight instead of waiting for idle timeouts.
 */
function closeConnectionsOnStop(server: Server): () => void {
  const open = new Set<ServerResponse>();
  let stopping = false;
  // First in line, before the application may answer (and send its headers) synchronously.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (stopping) {
      if (!response.headersSent) response.setHeader('connection', 'close');
      return;
    }
    open.add(response);
    response.once('close', () => open.delete(response));
  });
  return () => {
    stopping = true;
    for (const response of open) if (!response.headersSent) response.setHeader('connection', 'close');
  };
}
