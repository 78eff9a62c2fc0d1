// docs/configuration.md's table must list every variable loadConfig() reads, and nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { configSchema, repoRoot } from '@visionops/core';

test('when the configuration schema changes, then docs/configuration.md lists exactly its variables', () => {
  const section = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
  const documented = [...section.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1]);
  expect(documented.sort()).toEqual(Object.keys(configSchema.shape).sort());
});
