// The visionops CLI against the real gateway in-process (real Redis, embedded S3, no trainer):
// each command's output, --json, and the exit codes scripts rely on.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, syntheticImage } from '@visionops/testkit';
import { startTestGateway, type TestGateway } from '@visionops/gateway/test-gateway';
import { ExitCode } from '../src/exit-codes.js';
import { main, type CliIo } from '../src/main.js';

const ADMIN_TOKEN = 'cli-admin-token-0123456789';
let gw: TestGateway;
let dir: string;

beforeAll(async () => {
  gw = await startTestGateway({ env: { ADMIN_TOKEN, QUEUE_PREFIX: `test-${randomUUID()}` } });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
  dir = await mkdtemp(join(tmpdir(), 'visionops-cli-'));
});
afterAll(async () => {
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    status: () => {},
    env: { VISIONOPS_URL: gw.url, ...env },
  };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('visionops CLI', () => {
  test('when asked for help, then the usage and exit 0; an unknown command or option, then exit 2', async () => {
    expect(await run(['--help'])).toMatchObject({
      code: ExitCode.ok,
      out: expect.stringContaining('Exit codes') as string,
    });
    expect((await run(['fly'])).code).toBe(ExitCode.usage);
    expect((await run(['models', '--colour'])).code).toBe(ExitCode.usage);
    expect((await run(['retrain', 'x.zip', '--epochs', 'two'])).err).toMatch(
      /--epochs must be a whole number/,
    );
    expect((await run([])).code).toBe(ExitCode.usage);
  });

  test('when images are classified, then one line per image with label, confidence and version, or JSON', async () => {
    const paths = await Promise.all(
      [0, 1, 2].map(async (label) => {
        const path = join(dir, `image-${label}.png`);
        await writeFile(path, await syntheticImage(label, 1));
        return path;
      }),
    );
    const human = await run(['predict', ...paths]);
    expect(human.code, human.err).toBe(ExitCode.ok);
    const lines = human.out.split('\n');
    expect(lines).toHaveLength(3);
    for (const [i, line] of lines.entries()) {
      expect(line).toMatch(new RegExp(`^${paths[i]}\\t[a-z]+\\t\\d+\\.\\d%\\tv\\d+$`));
    }
    const json = JSON.parse((await run(['predict', paths[0]!, '--json'])).out) as {
      label: string;
      modelVersion: string;
    }[];
    expect(json).toHaveLength(1);
    expect(json[0]!.modelVersion).toMatch(/^v\d+$/);
  });

  test('when a local file is missing or unreadable, then exit 5', async () => {
    const result = await run(['predict', join(dir, 'missing.jpg')]);
    expect(result.code).toBe(ExitCode.file);
    expect(result.err).toMatch(/cannot read/);
  });

  test('when an admin command has no token, then exit 3 with the hint; with the token it is done', async () => {
    const card = await gw.publish(7);
    const refused = await run(['promote', card.version]);
    expect(refused.code).toBe(ExitCode.refused);
    expect(refused.err).toMatch(/401.*--token or set VISIONOPS_TOKEN/);
    const done = await run(['promote', card.version, '--reason', 'cli test'], {
      VISIONOPS_TOKEN: ADMIN_TOKEN,
    });
    expect(done.code, done.err).toBe(ExitCode.ok);
    expect(done.out).toMatch(new RegExp(`^${card.version} is in production`));
    const models = await run(['models']);
    expect(models.out).toMatch(new RegExp(`^\\* ${card.version} `, 'm'));
    expect(models.out).toMatch(new RegExp(`production: ${card.version}`));
  });

  test('when a version is exported, then the file is written as the gateway serves it', async () => {
    const card = await gw.publish(8);
    const output = join(dir, 'model.zip');
    const result = await run(['export', card.version, '--format', 'tfjs', '-o', output]);
    expect(result.code, result.err).toBe(ExitCode.ok);
    const served = Buffer.from(
      await (await fetch(`${gw.url}/models/${card.version}/export?format=tfjs`)).arrayBuffer(),
    );
    const written = await readFile(output);
    expect(written.length).toBe(served.length);
    expect(written.subarray(0, 4).toString('hex')).toBe('504b0304');
    expect((await run(['export', card.version])).code).toBe(ExitCode.usage);
    expect((await run(['export', 'v999', '-o', output])).code).toBe(ExitCode.refused);
  });

  test('when a retrain is submitted without waiting, then its job id; jobs lists it; a cancel removes it', async () => {
    const { buildClassFolderZip } = await import('@visionops/testkit');
    const { zip } = await buildClassFolderZip({ perClass: 1, format: 'png' });
    const zipPath = join(dir, 'upload.zip');
    await writeFile(zipPath, zip);
    const env = { VISIONOPS_TOKEN: ADMIN_TOKEN };
    const submitted = await run(['retrain', zipPath, '--epochs', '2', '--json'], env);
    expect(submitted.code, submitted.err).toBe(ExitCode.ok);
    const { jobId } = JSON.parse(submitted.out) as { jobId: string };
    const jobs = await run(['jobs']);
    expect(jobs.out).toMatch(new RegExp(`retrain\\s+queued\\s+${jobId}`));
    const cancelled = await run(['cancel', jobId], env);
    expect(cancelled.out).toBe(`${jobId}: cancelled`);
    const waited = await run(['job', jobId, '--wait', '--interval', '50']);
    expect(waited.code).toBe(ExitCode.jobFailed);
    expect(waited.out).toMatch(/^cancelled/);
  });

  test('when the gateway cannot be reached, then exit 4', async () => {
    const result = await run(['models', '--url', 'http://127.0.0.1:9']);
    expect(result.code).toBe(ExitCode.unavailable);
    expect(result.err).toMatch(/could not be reached/);
  });
});
