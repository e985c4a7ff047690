import { afterEach, describe, expect, it } from 'vitest';
import { formatLogLine, rfc3339 } from './log-line.js';

const originalTz = process.env.TZ;
function inZone(tz: string): void {
  process.env.TZ = tz;
}
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

const time = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));

describe('formatLogLine, json', () => {
  it('writes exactly level, msg and time, as one JSON line ending in a newline', () => {
    inZone('UTC');
    const line = formatLogLine('json', 'error', 'web-1: container does not exist', time);
    expect(line).toBe('{"level":"error","msg":"web-1: container does not exist","time":"2024-01-02T03:04:05Z"}\n');
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['level', 'msg', 'time']);
    expect(parsed).toEqual({ level: 'error', msg: 'web-1: container does not exist', time: '2024-01-02T03:04:05Z' });
  });

  it('keeps a multi-line message on one line', () => {
    const line = formatLogLine('json', 'warning', 'first\nsecond', time);
    expect(line.split('\n')).toHaveLength(2);
    expect(JSON.parse(line).msg).toBe('first\nsecond');
  });

  it('puts extra fields between msg and time', () => {
    inZone('UTC');
    expect(formatLogLine('json', 'info', 'started', time, { id: 'web-1', pid: 42 })).toBe(
      '{"level":"info","msg":"started","id":"web-1","pid":42,"time":"2024-01-02T03:04:05Z"}\n',
    );
  });
});

describe('formatLogLine, text', () => {
  it('has logrus’ text shape: time="…" level=… msg=…', () => {
    inZone('UTC');
    expect(formatLogLine('text', 'error', 'web-1: container does not exist', time)).toBe('time="2024-01-02T03:04:05Z" level=error msg="web-1: container does not exist"\n');
    expect(formatLogLine('text', 'debug', 'ok', time)).toBe('time="2024-01-02T03:04:05Z" level=debug msg=ok\n');
    expect(formatLogLine('text', 'info', '/run/berth/x.sock', time)).toBe('time="2024-01-02T03:04:05Z" level=info msg=/run/berth/x.sock\n');
  });

  it('quotes what needs quoting, fields included, and stays on one line', () => {
    inZone('UTC');
    expect(formatLogLine('text', 'warning', 'a "b"\nc', time, { id: 'web-1', path: '/a b', n: 3 })).toBe(
      'time="2024-01-02T03:04:05Z" level=warning msg="a \\"b\\"\\nc" id=web-1 path="/a b" n=3\n',
    );
    expect(formatLogLine('text', 'info', '', time)).toBe('time="2024-01-02T03:04:05Z" level=info msg=""\n');
  });
});

describe('rfc3339', () => {
  it.each([
    ['UTC', '2024-01-02T03:04:05Z'],
    ['Asia/Kolkata', '2024-01-02T08:34:05+05:30'],
    ['America/St_Johns', '2024-01-01T23:34:05-03:30'],
    ['America/New_York', '2024-01-01T22:04:05-05:00'],
    ['Pacific/Chatham', '2024-01-02T16:49:05+13:45'],
  ])('prints seconds and the local offset in %s', (tz, expected) => {
    inZone(tz);
    expect(rfc3339(time)).toBe(expected);
  });
});
