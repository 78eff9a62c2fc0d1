// The trainer's liveness endpoint: plain node:http, since a worker has no other HTTP to serve.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** GET /health -> 200 `{status:"ok", ...details()}`; anything else is a JSON 404. */
export async function startHealthServer(
  host: string,
  port: number,
  details: () => Record<string, unknown> = () => ({}),
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const found = req.method === 'GET' && path === '/health';
    const body = found
      ? { status: 'ok', ...details() }
      : {
          error: {
            code: 'not_found',
            message: `no route for ${req.method} ${path}; the trainer serves GET /health`,
          },
        };
    res.writeHead(found ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${actual}/health`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
