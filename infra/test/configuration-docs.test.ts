// README.md's configuration table must list every variable loadConfig() reads, and nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { configSchema, repoRoot } from '@visionops/core';

test('when the configuration schema changes, then the README table lists exactly its variables', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split('## Configuration')[1]?.split('\n## ')[0] ?? '';
  const documented = [...section.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1]);
  expect(documented.sort()).toEqual(Object.keys(configSchema.shape).sort());
});
