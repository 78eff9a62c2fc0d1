// `visionops <command>`: the gateway's API from a terminal. Human output by default, --json for
// scripts; exit codes in exit-codes.ts.
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, ExitCode } from './exit-codes.js';
import { GatewayClient } from './gateway-client.js';
import { outcomeLine, progressLine, type JobSnapshot } from './job-progress-line.js';

export const USAGE = `visionops <command> [options]

Commands:
  predict <image...>                       classify images (JPEG, PNG, WebP, GIF)
  retrain <zip> [--epochs N] [--wait]      fine-tune production on a ZIP of class folders
  import <file.h5|file.keras> [--preprocessing scale01|visionops] [--promote gate|never] [--wait]
                                           import a Keras model as a new version
  jobs [--limit N]                         recent retrain and import jobs
  job <id> [--wait]                        one job; --wait follows it to its end
  cancel <id>                              cancel a queued or running job
  models                                   model versions, with the one in production
  promote <version> [--reason TEXT]        put a version in production (rollback: an older one)
  export <version> [--format keras-h5|tfjs] -o <file>
                                           download a version as a Keras .h5 or a TF.js zip

Options:
  --url URL        the gateway (default $VISIONOPS_URL, else http://127.0.0.1:8080)
  --token TOKEN    admin token for retrain, import, cancel, promote (default $VISIONOPS_TOKEN)
  --json           print the gateway's JSON answer instead of text
  --interval MS    how often --wait polls (default 1000)
  -h, --help       this text

Exit codes: 0 done; 1 a waited-for job failed or was cancelled; 2 bad command line;
3 the gateway refused the request (4xx); 4 gateway unreachable or failing (5xx);
5 a local file could not be read or written.`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  epochs: { type: 'string' },
  limit: { type: 'string' },
  preprocessing: { type: 'string' },
  promote: { type: 'string' },
  reason: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  interval: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Redraws the current status line (a terminal) or prints it when it changed (a pipe or file). */
  status(line: string): void;
  env: NodeJS.ProcessEnv;
}

function processIo(): CliIo {
  let last = '';
  const tty = process.stderr.isTTY;
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${tty && last ? '\n' : ''}${line}\n`),
    status(line) {
      if (line === last) return;
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else process.stderr.write(`${line}\n`);
      last = line;
    },
    env: process.env,
  };
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function wholeNumber(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(ExitCode.usage, `--${name} must be a whole number >= ${min}`);
  return n;
}

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliError(ExitCode.usage, `--${name} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

async function readLocal(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CliError(ExitCode.file, `cannot read ${path}: ${(error as Error).message}`);
  }
}

function need(args: string[], count: number, what: string): void {
  if (args.length < count) throw new CliError(ExitCode.usage, `missing ${what}; see visionops --help`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Commands {
  constructor(
    private readonly client: GatewayClient,
    private readonly values: Values,
    private readonly io: CliIo,
  ) {}

  private print(json: unknown, text: () => string): void {
    this.io.out(this.values.json ? JSON.stringify(json, null, 2) : text());
  }

  async predict(paths: string[]): Promise<ExitCode> {
    need(paths, 1, 'image path');
    const results: { file: string; label: string; confidence: number; modelVersion: string }[] = [];
    // A few images per request keep each body well under the gateway's limits.
    for (let start = 0; start < paths.length; start += 16) {
      const chunk = paths.slice(start, start + 16);
      const form = new FormData();
      for (const path of chunk)
        form.append('files', new Blob([new Uint8Array(await readLocal(path))]), basename(path));
      const answer = await this.client.json<{
        modelVersion: string;
        results: { filename: string; label: string; confidence: number }[];
      }>('POST', '/predict', form);
      answer.results.forEach((result, i) =>
        results.push({
          file: chunk[i]!,
          label: result.label,
          confidence: result.confidence,
          modelVersion: answer.modelVersion,
        }),
      );
    }
    this.print(results, () =>
      results
        .map((r) => `${r.file}\t${r.label}\t${(r.confidence * 100).toFixed(1)}%\t${r.modelVersion}`)
        .join('\n'),
    );
    return ExitCode.ok;
  }

  async retrain(args: string[]): Promise<ExitCode> {
    need(args, 1, 'ZIP path');
    const form = new FormData();
    const epochs = wholeNumber(this.values.epochs, 'epochs', 1);
    if (epochs !== undefined) form.append('epochs', String(epochs));
    form.append('file', new Blob([new Uint8Array(await readLocal(args[0]!))]), basename(args[0]!));
    const accepted = await this.client.json<{ jobId: string; existing: boolean; images: number }>(
      'POST',
      '/retrain',
      form,
    );
    return this.accepted(accepted, `retrain of ${accepted.images} images`);
  }

  async import(args: string[]): Promise<ExitCode> {
    need(args, 1, 'Keras model path (.h5 or .keras)');
    const form = new FormData();
    const preprocessing = oneOf(this.values.preprocessing, 'preprocessing', ['scale01', 'visionops']);
    const promote = oneOf(this.values.promote, 'promote', ['gate', 'never']);
    if (preprocessing) form.append('preprocessing', preprocessing);
    if (promote) form.append('promote', promote);
    form.append('file', new Blob([new Uint8Array(await readLocal(args[0]!))]), basename(args[0]!));
    const accepted = await this.client.json<{ jobId: string; existing: boolean; format: string }>(
      'POST',
      '/models/import',
      form,
    );
    return this.accepted(accepted, `import of a ${accepted.format} file`);
  }

  private async accepted(accepted: { jobId: string; existing: boolean }, what: string): Promise<ExitCode> {
    if (this.values.wait) return this.follow(accepted.jobId);
    this.print(
      accepted,
      () => `${what}: job ${accepted.jobId}${accepted.existing ? ' (already queued or running)' : ''}`,
    );
    return ExitCode.ok;
  }

  async jobs(): Promise<ExitCode> {
    const limit = wholeNumber(this.values.limit, 'limit', 1) ?? 20;
    const { jobs } = await this.client.json<{ jobs: (JobSnapshot & { kind: string; createdAt: string })[] }>(
      'GET',
      `/jobs?limit=${limit}`,
    );
    this.print({ jobs }, () =>
      jobs.length === 0
        ? 'no jobs'
        : jobs
            .map((job) => {
              const outcome = job.result
                ? ` -> ${job.result.version}${job.result.promoted ? ' (promoted)' : ''}`
                : '';
              return `${job.createdAt}  ${job.kind.padEnd(7)}  ${job.state.padEnd(9)}  ${job.id}${outcome}`;
            })
            .join('\n'),
    );
    return ExitCode.ok;
  }

  async job(args: string[]): Promise<ExitCode> {
    need(args, 1, 'job id');
    if (this.values.wait) return this.follow(args[0]!);
    const job = await this.client.json<JobSnapshot>('GET', `/jobs/${encodeURIComponent(args[0]!)}`);
    this.print(job, () =>
      job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled'
        ? outcomeLine(job)
        : progressLine(job),
    );
    return ExitCode.ok;
  }

  async cancel(args: string[]): Promise<ExitCode> {
    need(args, 1, 'job id');
    const job = await this.client.json<JobSnapshot>('DELETE', `/jobs/${encodeURIComponent(args[0]!)}`);
    this.print(job, () => `${job.id}: ${job.state === 'cancelled' ? 'cancelled' : 'asked to stop'}`);
    return ExitCode.ok;
  }

  /** Polls a job until it ends, showing its progress; the exit code says how it ended. */
  private async follow(jobId: string): Promise<ExitCode> {
    const interval = wholeNumber(this.values.interval, 'interval', 50) ?? 1000;
    for (;;) {
      const job = await this.client.json<JobSnapshot>('GET', `/jobs/${encodeURIComponent(jobId)}`);
      if (job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled') {
        this.print(job, () => outcomeLine(job));
        return job.state === 'completed' ? ExitCode.ok : ExitCode.jobFailed;
      }
      if (!this.values.json) this.io.status(progressLine(job));
      await sleep(interval);
    }
  }

  async models(): Promise<ExitCode> {
    const registry = await this.client.json<{
      production: { version: string } | null;
      serving: string | null;
      versions: {
        version: string;
        createdAt: string;
        parent: string | null;
        metrics: { accuracy: number; dataset: string; n: number } | null;
        origin?: { format: string };
        inProduction: boolean;
      }[];
    }>('GET', '/models');
    this.print(
      registry,
      () =>
        registry.versions
          .map((card) => {
            const accuracy = card.metrics
              ? `${(card.metrics.accuracy * 100).toFixed(2)}% (${card.metrics.dataset}, ${card.metrics.n})`
              : 'not evaluated';
            const from = card.origin
              ? `imported ${card.origin.format}`
              : card.parent
                ? `from ${card.parent}`
                : 'baseline';
            return `${card.inProduction ? '*' : ' '} ${card.version.padEnd(5)} ${card.createdAt}  ${accuracy}  ${from}`;
          })
          .join('\n') +
        `\nproduction: ${registry.production?.version ?? 'none'}; this gateway serves ${registry.serving ?? 'nothing yet'}`,
    );
    return ExitCode.ok;
  }

  async promote(args: string[]): Promise<ExitCode> {
    need(args, 1, 'version (v1, v2, ...)');
    const body = this.values.reason ? { reason: this.values.reason } : {};
    const answer = await this.client.json<{ production: { version: string; promotedAt: string } }>(
      'POST',
      `/models/${encodeURIComponent(args[0]!)}/promote`,
      body,
    );
    this.print(
      answer,
      () => `${answer.production.version} is in production (since ${answer.production.promotedAt})`,
    );
    return ExitCode.ok;
  }

  async export(args: string[]): Promise<ExitCode> {
    need(args, 1, 'version (v1, v2, ...)');
    const format = oneOf(this.values.format, 'format', ['keras-h5', 'tfjs']) ?? 'keras-h5';
    const output = this.values.output;
    if (!output) throw new CliError(ExitCode.usage, 'export needs -o <file> to write to');
    const { body, response } = await this.client.bytes(
      `/models/${encodeURIComponent(args[0]!)}/export?format=${format}`,
    );
    try {
      await writeFile(output, body);
    } catch (error) {
      throw new CliError(ExitCode.file, `cannot write ${output}: ${(error as Error).message}`);
    }
    const normalisation = response.headers.get('x-visionops-normalisation');
    this.print(
      {
        file: output,
        bytes: body.length,
        format,
        normalisation: normalisation ? (JSON.parse(normalisation) as unknown) : null,
        testTimeAugmentation: response.headers.get('x-visionops-test-time-augmentation'),
      },
      () =>
        `${args[0]} written to ${output} (${format}, ${body.length} bytes); preprocessing: ${normalisation ?? 'see the card'}`,
    );
    return ExitCode.ok;
  }
}

/** Runs one command line; returns the exit code (never throws for a CliError). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<ExitCode> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new CliError(ExitCode.usage, `${(error as Error).message}; see visionops --help`);
    }
    const { values, positionals } = parsed;
    const [command, ...args] = positionals;
    if (values.help || !command) {
      if (values.help) io.out(USAGE);
      else io.err(USAGE);
      return values.help ? ExitCode.ok : ExitCode.usage;
    }
    const client = new GatewayClient({
      url: values.url ?? io.env.VISIONOPS_URL ?? 'http://127.0.0.1:8080',
      token: values.token ?? io.env.VISIONOPS_TOKEN,
      timeoutMs: 300_000,
    });
    const commands = new Commands(client, values, io);
    switch (command) {
      case 'predict':
        return await commands.predict(args);
      case 'retrain':
        return await commands.retrain(args);
      case 'import':
        return await commands.import(args);
      case 'jobs':
        return await commands.jobs();
      case 'job':
        return await commands.job(args);
      case 'cancel':
        return await commands.cancel(args);
      case 'models':
        return await commands.models();
      case 'promote':
        return await commands.promote(args);
      case 'export':
        return await commands.export(args);
      default:
        throw new CliError(ExitCode.usage, `unknown command "${command}"; see visionops --help`);
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.err(`visionops: ${error.message}`);
    return error.exitCode;
  }
}
