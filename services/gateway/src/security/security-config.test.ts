// The security settings as loadConfig() parses them, and the server timeouts derived from them.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@visionops/core';
import { serverTimeouts } from './server-timeouts.js';

describe('security settings', () => {
  it('when nothing is set, then no proxy is trusted, no origin is allowed and the limits are on', () => {
    const config = loadConfig({});
    expect(config.TRUST_PROXY).toBe(false);
    expect(config.CORS_ORIGINS).toEqual([]);
    expect(config.RATE_LIMIT_PREDICT_PER_MINUTE).toBe(60_000);
    expect(config.RATE_LIMIT_RETRAIN_PER_HOUR).toBe(30);
    expect(config.REQUEST_TIMEOUT_MS).toBe(600_000);
  });

  it('when TRUST_PROXY is a count, a flag or a list, then Express gets a number, a boolean or the list', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe('loopback, 10.0.0.0/8');
    expect(() => loadConfig({ TRUST_PROXY: '1; rm -rf' })).toThrow(ConfigError);
  });

  it('when CORS_ORIGINS lists origins, then they are trimmed; a path or a non-URL is refused', () => {
    const config = loadConfig({ CORS_ORIGINS: ' https://a.example , http://localhost:5173,' });
    expect(config.CORS_ORIGINS).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example/app' })).toThrow(/no path/);
    expect(() => loadConfig({ CORS_ORIGINS: 'a.example' })).toThrow(ConfigError);
  });

  it('when REQUEST_TIMEOUT_MS is short, then the header timeout and the check interval never exceed it', () => {
    expect(serverTimeouts({ REQUEST_TIMEOUT_MS: 600_000 })).toEqual({
      requestTimeout: 600_000,
      headersTimeout: 20_000,
      connectionsCheckingInterval: 1000,
    });
    expect(serverTimeouts({ REQUEST_TIMEOUT_MS: 1000 })).toEqual({
      requestTimeout: 1000,
      headersTimeout: 1000,
      connectionsCheckingInterval: 1000,
    });
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '10' })).toThrow(ConfigError);
  });
});
