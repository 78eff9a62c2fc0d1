// One service of the stack (gateway, trainer) as a child process: started with tsx (or from its
// compiled build), watched, and stopped with SIGTERM, then SIGKILL when it does not finish within
// a grace period.
import { spawn } from 'node:child_process';
import type { Logger } from '@visionops/core';
import { repoRoot } from '@visionops/core';
import { waitFor } from './wait-for.js';

export interface ServiceExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  name: string;
  pid: number;
  /** Resolves when the process has exited, however that happened. */
  exited: Promise<ServiceExit>;
  /** Resolves once `url` answers 200; throws when the process exits first or the time is up. */
  waitHealthy(url: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  stop(graceMs: number): Promise<ServiceExit>;
}

export interface SpawnServiceOptions {
  name: string;
  /**
   * Entry file relative to the repository root: services/gateway/src/main.ts runs through tsx,
   * services/gateway/dist/main.js (after `npm run build`) as compiled JavaScript.
   */
  script: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Node's options for an entry file. A compiled one gets the `visionops-dist` export condition, so
 * the workspace packages it imports resolve to their dist/ as well (their TypeScript otherwise).
 */
export function nodeArguments(script: string): string[] {
  return script.endsWith('.ts') ? ['--import', 'tsx', script] : ['--conditions=visionops-dist', script];
}

export function spawnService(options: SpawnServiceOptions): ServiceProcess {
  // node --import tsx rather than the tsx CLI: one process per service, which gets our signals itself.
  const child = spawn(process.execPath, nodeArguments(options.script), {
    cwd: repoRoot,
    env: options.env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exit: ServiceExit | undefined;
  const exited = new Promise<ServiceExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { name: options.name, code, signal };
      resolve(exit);
    });
    child.once('error', (error) => {
      options.logger.error({ err: error, service: options.name }, 'service could not be started');
      exit = { name: options.name, code: null, signal: null };
      resolve(exit);
    });
  });

  return {
    name: options.name,
    pid: child.pid ?? 0,
    exited,
    async waitHealthy(url, timeoutMs, signal) {
      await waitFor(
        async () => {
          if (exit) {
            throw new Error(
              `${options.name} exited (code ${exit.code}, signal ${exit.signal}) before ${url} answered; see its log above`,
            );
          }
          return answers200(url);
        },
        { what: `${options.name} at ${url}`, timeoutMs, intervalMs: 200, signal },
      );
    },
    async stop(graceMs) {
      if (!exit) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          options.logger.warn({ service: options.name, graceMs }, 'service did not stop in time; killing it');
          child.kill('SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}
