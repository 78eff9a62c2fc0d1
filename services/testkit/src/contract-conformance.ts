// Checks that an answer the services gave is exactly what the API contract describes: it parses,
// and parsing drops nothing (zod strips unknown fields, so a field the contract lacks shows up as
// a difference between the answer and its parsed form).
import { expect } from 'vitest';
import type { z } from 'zod';

export function expectConforms<Schema extends z.ZodType>(schema: Schema, answer: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(answer);
  expect(parsed.success, parsed.success ? '' : z_issues(parsed.error)).toBe(true);
  expect(parsed.data, 'the answer has fields the contract does not describe').toStrictEqual(answer);
  return parsed.data as z.infer<Schema>;
}

const z_issues = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
