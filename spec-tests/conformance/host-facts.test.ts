import { describe, expect, it } from 'vitest';
import { capsFromMask, parseHardLimits, readHostFacts } from './host-facts.js';

describe('host facts', () => {
  it('capsFromMask names the set bits in capabilities(7) order', () => {
    expect(capsFromMask('0')).toEqual([]);
    expect(capsFromMask('1')).toEqual(['CAP_CHOWN']);
    expect(capsFromMask('a0000020')).toEqual(['CAP_KILL', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP']);
  });

  it('parseHardLimits reads the hard column of /proc/PID/limits, unlimited as null', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max cpu time              unlimited            unlimited            seconds   ',
      'Max open files            1024                 20000                files     ',
      'Max locked memory         8388608              8388608              bytes     ',
    ].join('\n');
    expect(parseHardLimits(text)).toEqual({ RLIMIT_CPU: null, RLIMIT_NOFILE: 20000, RLIMIT_MEMLOCK: 8388608 });
  });

  it('reads this process: all 16 limits, its own namespaces, a bounding set', () => {
    const facts = readHostFacts();
    expect(Object.keys(facts.hardLimits)).toHaveLength(16);
    expect(facts.namespaces.mnt).toBeGreaterThan(0);
    expect(facts.boundingCaps.length).toBeGreaterThan(0);
  });
});
