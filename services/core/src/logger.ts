// Structured logs: pino, one JSON line per event; pretty and coloured when stdout is a terminal.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Force pretty (true) or JSON (false) output; by default pretty only on a TTY. */
  pretty?: boolean | undefined;
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const usePretty = options.pretty ?? process.stdout.isTTY;
  const base = {
    name,
    level: options.level ?? 'info',
    redact: { paths: ['req.headers.authorization', '*.token', '*.secretKey'], censor: '[redacted]' },
  };
  // pino-pretty as a synchronous stream (not a transport thread) so no line is lost on exit.
  return usePretty
    ? pino(
        base,
        pretty({
          colorize: true,
          translateTime: 'HH:MM:ss.l',
          ignore: 'pid,hostname',
          singleLine: true,
          sync: true,
        }),
      )
    : pino(base);
}
