// Static checks of the deployment files (docker-compose.yml, infra/Dockerfile, .dockerignore,
// .env.example). There is no container engine in CI: these tests read the files, and
// `docker-compose config` validates the compose file when docker-compose is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { configSchema, repoRoot } from '@visionops/core';
import { compiledEntryFiles } from '../src/start-stack.js';

const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const compose = read('docker-compose.yml');
const dockerfile = read('infra/Dockerfile');
const configVariables = new Set(Object.keys(configSchema.shape));
/** The services that run the visionops image; the others are official images. */
const appServices = ['gateway', 'trainer'];

/** The lines of a top-level block (`services:`, `x-app-env: &app-env`) or of a block nested in it. */
function block(lines: string[], header: RegExp, indent: number): string[] {
  const start = lines.findIndex((line) => header.test(line));
  if (start < 0) return [];
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (line.length - line.trimStart().length <= indent) break;
    body.push(line);
  }
  return body;
}

/** Keys of a mapping whose entries sit at `indent` spaces. */
function keysAt(lines: string[], indent: number): string[] {
  const pattern = new RegExp(`^ {${indent}}([A-Za-z0-9_<.-]+):`);
  return lines.flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [match[1]!] : [];
  });
}

const composeLines = compose.split('\n');
const services = block(composeLines, /^services:/, 0);
const serviceNames = keysAt(services, 2);
const service = (name: string) => block(services, new RegExp(`^ {2}${name}:`), 2);
const sharedEnv = keysAt(block(composeLines, /^x-app-env:/, 0), 2);

/** Variables a service's `environment:` sets, with the shared block it merges in. */
function environmentOf(name: string): string[] {
  const env = keysAt(block(service(name), /^ {4}environment:/, 4), 6);
  return env.flatMap((key) => (key === '<<' ? sharedEnv : [key]));
}

/** The one- or two-word command that runs Compose V1 or V2, when one is installed. */
function composeCommand(): string[] | undefined {
  for (const command of [['docker-compose'], ['docker', 'compose']]) {
    const probe = spawnSync(command[0]!, [...command.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return command;
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  test('when it is read, then it has the services of the deployment, each with a healthcheck', () => {
    expect(serviceNames.sort()).toEqual(
      ['gateway', 'minio', 'minio-init', 'proxy', 'redis', 'trainer'].sort(),
    );
    for (const name of serviceNames.filter((name) => name !== 'minio-init')) {
      expect(
        service(name).some((line) => /^ {4}healthcheck:/.test(line)),
        name,
      ).toBe(true);
    }
  });

  test('when the app services set variables, then every one is a variable loadConfig() knows', () => {
    for (const name of appServices) {
      const env = environmentOf(name);
      expect(env.length, name).toBeGreaterThan(0);
      expect(
        env.filter((key) => !configVariables.has(key)),
        name,
      ).toEqual([]);
      expect(env, name).toContain('HOST');
    }
    expect(compose).toMatch(/^ {2}HOST: 0\.0\.0\.0$/m);
  });

  test('when Redis starts, then it keeps an append-only file and never evicts keys', () => {
    const redis = service('redis').join('\n');
    expect(redis).toMatch(/--appendonly\s+- 'yes'/);
    expect(redis).toMatch(/--maxmemory-policy\s+- noeviction/);
    expect(redis).toMatch(/image: redis:\d+\.\d+\.\d+/);
  });

  test('when images are named, then each has a pinned tag, never latest', () => {
    const images = [...compose.matchAll(/^\s+image: (\S+)$/gm)].map((match) => match[1]!);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image, image).toMatch(/:[^:/]+$/);
    for (const image of images) expect(image, image).not.toMatch(/:latest$/);
  });

  test('when state is stored, then it is on named volumes the file declares', () => {
    const declared = keysAt(block(composeLines, /^volumes:/, 0), 2);
    expect(declared).toEqual(expect.arrayContaining(['redis-data', 'minio-data']));
    const used = [...compose.matchAll(/^\s+- ([a-z0-9-]+):\/[^\s]*$/gm)].map((match) => match[1]!);
    for (const volume of used) expect(declared, volume).toContain(volume);
  });

  // Without docker-compose the test shows as skipped in the summary, never as a silent pass; CI
  // (CI=true) installs it, so there a missing docker-compose fails the run.
  const command = composeCommand();
  test.skipIf(!command && !process.env.CI)(
    'when docker compose validates it with .env.example, then it is valid',
    () => {
      if (!command) throw new Error('docker-compose is not installed (.ci/run installs it)');
      const result = spawnSync(
        command[0]!,
        [...command.slice(1), '-f', 'docker-compose.yml', '--env-file', '.env.example', 'config', '-q'],
        { cwd: repoRoot, encoding: 'utf8' },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );
});

describe('.env.example', () => {
  test('when compose interpolates a variable without a default, then .env.example lists it', () => {
    const listed = new Set(
      read('.env.example')
        .split('\n')
        .flatMap((line) => /^([A-Z0-9_]+)=/.exec(line)?.[1] ?? []),
    );
    const interpolated = [...compose.matchAll(/\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}/g)].map((match) => match[1]!);
    expect(interpolated.filter((name) => !listed.has(name))).toEqual([]);
  });
});

describe('infra/Dockerfile', () => {
  const copies = dockerfile
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .map((line) =>
      line
        .split(/\s+/)
        .slice(1)
        .filter((word) => !word.startsWith('--')),
    );

  test('when it copies from the build context, then every source exists and is not dockerignored', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const isIgnored = (path: string) =>
      ignored.some((pattern) => {
        const bare = pattern.replace(/^\*\*\//, '');
        const segments = path.split('/');
        return pattern.startsWith('**/')
          ? segments.includes(bare)
          : path === pattern || path.startsWith(`${pattern}/`);
      });
    expect(copies.length).toBeGreaterThan(0);
    for (const words of copies) {
      for (const source of words.slice(0, -1)) {
        expect(existsSync(join(repoRoot, source)), `${source} exists`).toBe(true);
        expect(isIgnored(source), `${source} is dockerignored`).toBe(false);
      }
    }
  });

  test('when the image runs, then it is Node 20 bookworm-slim, as a non-root user, with the baseline model', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.[\d.]+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/pnpm install --prod --frozen-lockfile/);
    // The build stage gathers models/ with the compiled code for the runtime stage.
    expect(dockerfile).toMatch(/for dir in [^;]*\bmodels;/);
    expect(existsSync(join(repoRoot, 'models/baseline/model.json'))).toBe(true);
  });

  test('when the compose file starts the services, then it runs their compiled entry files', () => {
    const commands = [...compose.matchAll(/command: \['node', '--conditions=visionops-dist', '([^']+)'\]/g)];
    const entries = commands.map((match) => match[1]!);
    expect(entries.sort()).toEqual(Object.values(compiledEntryFiles).sort());
    // Each is what tsc emits for a source file: services/x/dist/main.js from services/x/src/main.ts.
    for (const entry of entries) {
      const source = entry.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
      expect(existsSync(join(repoRoot, source)), source).toBe(true);
    }
    expect(dockerfile).toMatch(
      /^CMD \["node", "--conditions=visionops-dist", "services\/gateway\/dist\/main\.js"\]$/m,
    );
  });
});
