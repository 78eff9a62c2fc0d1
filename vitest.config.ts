import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'services/**/*.test.ts',
      'infra/**/*.test.ts',
      'web/test/*.test.ts',
      'artillery/src/**/*.test.ts',
      'notebooks/lib/*.test.ts',
    ],
    exclude: ['**/node_modules/**'],
    globalSetup: ['services/core/test/announce-engine.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
