import { describe, expect, test } from 'vitest';
import { createLogger } from './logger.js';
import { OutageLog } from './outage-log.js';

function capture() {
  const lines: { level: number; msg: string; role?: string }[] = [];
  const logger = createLogger('test', {
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
  });
  return { logger, lines };
}

describe('OutageLog', () => {
  test('when a dependency fails many times and then recovers, then one warning and one recovery line are logged', () => {
    const { logger, lines } = capture();
    const outage = new OutageLog(logger, 'redis connection failed', 'redis connection restored', {
      role: 'x',
    });
    outage.recovered();
    for (let i = 0; i < 5; i++) outage.failed(new Error('ECONNREFUSED'));
    expect(outage.isDown).toBe(true);
    outage.recovered();
    outage.recovered();
    outage.failed(new Error('again'));
    expect(lines.map((line) => [line.level, line.msg, line.role])).toEqual([
      [40, 'redis connection failed', 'x'],
      [30, 'redis connection restored', 'x'],
      [40, 'redis connection failed', 'x'],
    ]);
  });
});
