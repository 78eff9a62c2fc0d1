// The load generator of `npm run bench:serve`, run as a child process so that, as with a real
// client, its HTTP work does not share the gateway's event loop. Multipart bodies are encoded once
// per image (as wrk or autocannon send prepared requests); the gateway still parses every one.
// Modes: `predict` (POST /predict at a fixed concurrency), `post` (prepared bodies with their
// headers to any path, at a fixed concurrency) and `probe` (GET /health every few ms until told
// to stop). 127.0.0.1 only; it exits if its parent goes away.
import { Agent, request } from 'node:http';

export interface LoadImage {
  name: string;
  type: string;
  data: Uint8Array;
}

/** A prepared request body and the headers it needs (content type, protocol headers). */
export interface PreparedBody {
  body: Uint8Array;
  headers: Record<string, string>;
}

export type ToLoadClient =
  | { type: 'predict'; url: string; images: LoadImage[]; concurrency: number; requests: number }
  | {
      type: 'post';
      url: string;
      path: string;
      bodies: PreparedBody[];
      concurrency: number;
      requests: number;
    }
  | { type: 'probe'; url: string; intervalMs: number }
  | { type: 'stop' };

export type FromLoadClient =
  | { type: 'predicted'; seconds: number; failed: number; latencies: number[]; cpuMs: number }
  | { type: 'probed'; failed: number; latencies: number[] };

const BOUNDARY = '----visionops-bench-boundary';

function multipartBody(image: LoadImage): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${image.name}"\r\n` +
        `Content-Type: ${image.type}\r\n\r\n`,
    ),
    Buffer.from(image.data),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

function localOnly(url: string): URL {
  const parsed = new URL(url);
  if (parsed.hostname !== '127.0.0.1') throw new Error(`the load client only calls 127.0.0.1, not ${url}`);
  return parsed;
}

const multipartHeaders = (body: Buffer) => ({
  'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
  'content-length': String(body.length),
});

/** One request; resolves with whether the status was 2xx once the whole body has arrived. */
function send(
  agent: Agent,
  url: URL,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = body ? multipartHeaders(body) : {},
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers,
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function predict(message: Extract<ToLoadClient, { type: 'predict' }>): Promise<FromLoadClient> {
  return post({
    ...message,
    type: 'post',
    path: '/predict',
    bodies: message.images.map((image) => {
      const body = multipartBody(image);
      return { body, headers: multipartHeaders(body) };
    }),
  });
}

async function post(message: Extract<ToLoadClient, { type: 'post' }>): Promise<FromLoadClient> {
  const url = localOnly(message.url);
  const bodies = message.bodies.map(({ body, headers }) => ({
    body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    headers: { ...headers, 'content-length': String(body.byteLength) },
  }));
  const agent = new Agent({ keepAlive: true, maxSockets: message.concurrency });
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < message.requests) {
      const { body, headers } = bodies[next++ % bodies.length]!;
      const t0 = performance.now();
      const ok = await send(agent, url, 'POST', message.path, body, headers).catch(() => false);
      latencies.push(performance.now() - t0);
      if (!ok) failed++;
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: message.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  agent.destroy();
  return { type: 'predicted', seconds, failed, latencies, cpuMs: (user + system) / 1000 };
}

let probing = false;

async function probe(message: Extract<ToLoadClient, { type: 'probe' }>): Promise<FromLoadClient> {
  const url = localOnly(message.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let failed = 0;
  probing = true;
  while (probing) {
    const t0 = performance.now();
    const ok = await send(agent, url, 'GET', '/health').catch(() => false);
    latencies.push(performance.now() - t0);
    if (!ok) failed++;
    await new Promise((resolve) => setTimeout(resolve, message.intervalMs));
  }
  agent.destroy();
  return { type: 'probed', failed, latencies };
}

function reply(message: FromLoadClient): void {
  process.send!(message);
}

process.on('disconnect', () => process.exit(0));
process.on('message', (message: ToLoadClient) => {
  switch (message.type) {
    case 'predict':
      void predict(message).then(reply);
      return;
    case 'post':
      void post(message).then(reply);
      return;
    case 'probe':
      void probe(message).then(reply);
      return;
    case 'stop':
      probing = false;
  }
});
