// loadConfig: defaults, path resolution and the list of problems a bad environment gets.
import { isAbsolute, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, configToEnv, loadConfig } from './config.js';
import { repoRoot } from './paths.js';

describe('loadConfig', () => {
  test('when nothing is set, then the defaults apply and paths are absolute under the repository', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8080);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.DATA_DIR).toBe(join(repoRoot, '.data'));
    expect(isAbsolute(config.DATASET_DIR)).toBe(true);
    expect(config.BASELINE_MODEL_DIR).toBe(join(repoRoot, 'models', 'baseline'));
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('when the convolution algorithm is set, then auto, direct and winograd pass and anything else is named', () => {
    for (const value of ['auto', 'direct', 'winograd'] as const) {
      expect(loadConfig({ VISIONOPS_CONV_ALGORITHM: value }).VISIONOPS_CONV_ALGORITHM).toBe(value);
    }
    try {
      loadConfig({ VISIONOPS_CONV_ALGORITHM: 'fastest' });
      expect.unreachable('an unknown algorithm must be refused');
    } catch (error) {
      expect((error as ConfigError).problems.join('\n')).toMatch(/^VISIONOPS_CONV_ALGORITHM="fastest"/m);
    }
  });

  test('when a value is an empty string, then it counts as unset', () => {
    expect(loadConfig({ PORT: '', S3_ENDPOINT: '' }).PORT).toBe(8080);
  });

  test('when several values are wrong, then one ConfigError lists each of them and hides secrets', () => {
    const load = () =>
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://x', ADMIN_TOKEN: 'short', LOG_PRETTY: 'maybe' });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT="eighty"/m);
      expect(problems).toMatch(/^REDIS_URL=/m);
      expect(problems).toMatch(/^ADMIN_TOKEN=\(hidden\): use at least 16 characters/m);
      expect(problems).toMatch(/^LOG_PRETTY=/m);
      expect(problems).not.toContain('short');
    }
  });
});

describe('configToEnv', () => {
  test('when a configuration with lists, flags and numbers goes through it, then loadConfig gives it back', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://a.example,http://localhost:5173',
      TRUST_PROXY: '1',
      LOG_PRETTY: 'false',
      PORT: '0',
      ADMIN_TOKEN: 'a-token-of-at-least-16',
    });
    expect(loadConfig(configToEnv(config))).toEqual(config);
    expect(loadConfig(configToEnv(loadConfig({ TRUST_PROXY: 'true' }))).TRUST_PROXY).toBe(true);
  });
});
