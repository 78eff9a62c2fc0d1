// Structured logs: pino, one JSON line per event; pretty and coloured when stdout is a terminal.
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Force pretty (true) or JSON (false) output; by default pretty only on a TTY. */
  pretty?: boolean | undefined;
  /** Where JSON lines go instead of stdout (tests read them back); implies pretty false. */
  destination?: DestinationStream;
}

// Credentials that must never reach a log line, wherever an object carrying them is logged: request
// and response headers (bearer tokens, cookies), and the configuration's secrets by name, at the top
// level or one object down (`{ config }`, `{ err }`). A path names a key; a secret inside a
// free-text message cannot be found this way, so messages never interpolate them.
const SECRET_KEYS = ['ADMIN_TOKEN', 'S3_SECRET_KEY', 'S3_ACCESS_KEY', 'token', 'adminToken', 'secretKey'];
const HEADERS = [
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
];
export const REDACTED_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`]),
  'secretAccessKey',
  '*.secretAccessKey',
  '*.credentials.secretAccessKey',
  ...HEADERS.flatMap((path) => [path, `*.${path}`, `*.*.${path}`]),
  'res.headers["set-cookie"]',
  '*.res.headers["set-cookie"]',
];
export const REDACTED = '[redacted]';

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const base = {
    name,
    level: options.level ?? 'info',
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
  };
  if (options.destination) return pino(base, options.destination);
  const usePretty = options.pretty ?? process.stdout.isTTY;
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

/** A URL fit for a log line: any user name and password in it (redis://user:secret@host) replaced. */
export function urlForLog(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = parsed.username ? REDACTED : '';
    parsed.password = parsed.password ? REDACTED : '';
    return parsed.toString();
  } catch {
    return REDACTED;
  }
}
