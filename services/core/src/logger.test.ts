// Tests that credentials never reach a log line, whichever object carries them.
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, urlForLog } from './logger.js';

function capture(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

describe('createLogger redaction', () => {
  it('when headers, configuration or errors carrying secrets are logged, then only the censor appears', () => {
    const out = capture();
    const log = createLogger('test', { level: 'trace', destination: out });
    const secrets = ['Bearer admin-secret-1', 'session=cookie-secret-2', 'admin-secret-3', 's3-secret-4'];
    log.info({ req: { headers: { authorization: secrets[0], cookie: secrets[1], host: 'gw' } } }, 'request');
    log.info({ headers: { 'proxy-authorization': secrets[0], 'x-api-key': secrets[2] } }, 'proxied');
    log.warn({ config: { ADMIN_TOKEN: secrets[2], S3_SECRET_KEY: secrets[3], PORT: 8080 } }, 'config');
    log.error(
      { ADMIN_TOKEN: secrets[2], err: { $response: { headers: { authorization: secrets[0] } } } },
      'x',
    );
    log.debug({ credentials: { secretAccessKey: secrets[3] }, token: secrets[2] }, 's3');
    log.info({ res: { headers: { 'set-cookie': secrets[1] } } }, 'response');
    const text = out.lines.join('');
    expect(out.lines).toHaveLength(6);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text.split(REDACTED).length - 1).toBe(11);
    // What is not a secret stays readable.
    expect(text).toContain('"host":"gw"');
    expect(text).toContain('"PORT":8080');
  });
});

describe('urlForLog', () => {
  it('when a URL carries a user name or password, then neither appears, and other URLs are kept', () => {
    expect(urlForLog('redis://:s3cret-pass@redis.internal:6379/2')).toBe(
      'redis://:%5Bredacted%5D@redis.internal:6379/2',
    );
    expect(urlForLog('redis://admin:s3cret-pass@redis.internal:6379')).not.toMatch(/admin|s3cret/);
    expect(urlForLog('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(urlForLog('not a url with s3cret')).toBe(REDACTED);
  });
});
