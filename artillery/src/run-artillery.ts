// Runs one scenario file with the artillery CLI installed in this package, against `target`, with
// the image pool as payload, its console output in a log file and its JSON report next to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArtilleryReport, type ArtilleryReport } from './artillery-report.js';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const scenarioDir = join(packageDir, 'scenarios');
const artilleryBin = join(packageDir, 'node_modules', '.bin', 'artillery');

export interface ArtilleryRunOptions {
  scenarioFile: string;
  target: string;
  payloadCsv: string;
  /** Values for the scenario's config.variables (e.g. loopSeconds). */
  variables?: Record<string, number | string>;
  outputFile: string;
  logFile: string;
  /** Kill artillery when it runs longer than this (the scenario's phases bound it well before). */
  timeoutMs: number;
  /** Called with the pid once artillery runs, e.g. to sample its threads. */
  onStart?: (pid: number) => void;
}

const running = new Set<ChildProcess>();

/** Kills every artillery this process started that still runs (when the driver must stop early). */
export function killArtilleryRuns(): void {
  for (const child of running) child.kill('SIGKILL');
}

export interface ArtilleryRun {
  exitCode: number;
  report: ArtilleryReport;
}

export async function runArtillery(options: ArtilleryRunOptions): Promise<ArtilleryRun> {
  const args = ['run', options.scenarioFile, '--target', options.target, '-p', options.payloadCsv];
  if (options.variables) args.push('--variables', JSON.stringify(options.variables));
  args.push('--output', options.outputFile);
  const log = createWriteStream(options.logFile);
  const child = spawn(artilleryBin, args, {
    cwd: packageDir,
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', ARTILLERY_DISABLE_TELEMETRY: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  if (child.pid !== undefined) options.onStart?.(child.pid);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const exitCode = await new Promise<number>((resolveExit, rejectExit) => {
    child.once('error', rejectExit);
    child.once('close', (code, signal) => resolveExit(code ?? (signal ? 128 : 1)));
  }).finally(() => {
    clearTimeout(timer);
    running.delete(child);
  });
  await new Promise<void>((resolveClose) => log.end(resolveClose));
  let raw: string;
  try {
    raw = await readFile(options.outputFile, 'utf8');
  } catch (error) {
    throw new Error(
      `artillery wrote no report for ${options.scenarioFile} (exit code ${exitCode}); see ${options.logFile}`,
      { cause: error },
    );
  }
  return { exitCode, report: parseArtilleryReport(JSON.parse(raw), options.outputFile) };
}
