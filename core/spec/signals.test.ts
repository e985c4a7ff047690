import { describe, expect, it } from 'vitest';
import { parseSignal, signalName, signalNumbers, SIGRTMAX, SIGRTMIN } from './signals.js';

describe('parseSignal', () => {
  it.each([
    ['TERM', 15],
    ['SIGTERM', 15],
    ['sigterm', 15],
    ['term', 15],
    ['15', 15],
    ['KILL', 9],
    ['9', 9],
    ['  SIGINT ', 2],
    ['RTMIN', 34],
    ['RTMIN+2', 36],
    ['SIGRTMIN+2', 36],
    ['SIGRTMAX-1', 63],
    ['rtmax', 64],
    ['SIGRTMAX', 64],
    ['SIGRTMIN+30', 64],
    ['64', 64],
    ['1', 1],
    ['IOT', 6],
    ['CLD', 17],
    ['POLL', 29],
  ])('accepts %j as %i', (text, n) => {
    expect(parseSignal(text)).toBe(n);
  });

  it.each(['0', '65', '-1', '1000', 'FOO', 'SIGFOO', '', '   ', 'SIG', 'RTMIN-1', 'RTMAX+1', 'SIGRTMIN+31', 'RTMIN+', '+15', '1.5', '0x0f', 'TERM TERM'])(
    'rejects %j',
    (text) => {
      expect(parseSignal(text)).toBeUndefined();
    },
  );
});

describe('signalName', () => {
  it('names signals canonically, never by an alias', () => {
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(17)).toBe('SIGCHLD');
    expect(signalName(29)).toBe('SIGIO');
    expect(signalName(SIGRTMIN)).toBe('SIGRTMIN');
    expect(signalName(36)).toBe('SIGRTMIN+2');
    expect(signalName(63)).toBe('SIGRTMIN+29');
    expect(signalName(SIGRTMAX)).toBe('SIGRTMAX');
  });

  it('has no name for 0, 32, 33 (glibc-reserved) or anything past SIGRTMAX', () => {
    for (const n of [0, 32, 33, 65, -1]) expect(signalName(n)).toBeUndefined();
  });

  it('keeps runc numbering for the classic signals', () => {
    expect(signalNumbers).toMatchObject({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGWINCH: 28, SIGSYS: 31 });
  });
});
