// Validates a part of a request with its zod schema; a mismatch is the caller's mistake (400) and
// the message names every field that is wrong.
import type { z } from 'zod';
import { AppError } from '../app-error.js';

export function parseRequest<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.join('.');
    return field ? `${field}: ${issue.message}` : issue.message;
  });
  throw new AppError('invalid_request', `invalid ${where}: ${problems.join('; ')}`, 400);
}
