import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { formatLogLine, rfc3339, type LogLevel } from './log-line.js';

const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

const level = fc.constantFrom<LogLevel>('debug', 'info', 'warning', 'error');
const message = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('container does not exist', 'a\nb', '"', ''));
const date = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true });
const zone = fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'America/Los_Angeles', 'Australia/Lord_Howe');

/** The value of a text-format field: bare, or a JSON string. */
const decode = (text: string) => (text.startsWith('"') ? (JSON.parse(text) as string) : text);

describe('log line properties', () => {
  it('json: one line ending in a newline that parses to exactly level, msg and time', () => {
    fc.assert(
      fc.property(level, message, date, (l, msg, t) => {
        const line = formatLogLine('json', l, msg, t);
        expect(line.endsWith('\n')).toBe(true);
        expect(line.indexOf('\n')).toBe(line.length - 1);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        expect(Object.keys(parsed)).toEqual(['level', 'msg', 'time']);
        expect(parsed).toEqual({ level: l, msg, time: rfc3339(t) });
      }),
    );
  });

  it('text: one line ending in a newline from which the message reads back', () => {
    fc.assert(
      fc.property(level, message, date, (l, msg, t) => {
        const line = formatLogLine('text', l, msg, t);
        expect(line.endsWith('\n')).toBe(true);
        expect(line.indexOf('\n')).toBe(line.length - 1);
        const prefix = `time="${rfc3339(t)}" level=${l} msg=`;
        expect(line.startsWith(prefix)).toBe(true);
        expect(decode(line.slice(prefix.length, -1))).toBe(msg);
      }),
    );
  });

  it('rfc3339: second precision, the local offset, and it reads back as the same instant', () => {
    fc.assert(
      fc.property(zone, date, (tz, t) => {
        process.env.TZ = tz;
        const stamp = rfc3339(t);
        expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/);
        expect(Date.parse(stamp)).toBe(Math.floor(t.getTime() / 1000) * 1000);
      }),
    );
  });
});
