// The exit codes of `visionops`, for scripts: one per kind of outcome, documented in --help.
export const ExitCode = {
  ok: 0,
  /** A job that was waited for ended failed or cancelled. */
  jobFailed: 1,
  /** The command line itself is wrong (unknown command, missing argument, bad option). */
  usage: 2,
  /** The gateway refused the request (4xx): the message says what to fix. */
  refused: 3,
  /** The gateway could not be reached, or failed (5xx). */
  unavailable: 4,
  /** A local file could not be read or written. */
  file: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with its exit code and message. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
