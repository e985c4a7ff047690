import { describe, expect, it } from 'vitest';
import { crashSign, namedField, refusalKind } from './refusal.js';

describe('namedField', () => {
  it('finds the JSON pointer into config.json a refusal names', () => {
    expect(namedField('c1: /process/rlimits/0: error setting rlimit type 7: Operation not permitted (SETRLIMIT failed in the child step 9, errno 1)')).toEqual({ kind: 'pointer', name: '/process/rlimits/0' });
    expect(namedField('invalid /tmp/b/config.json: 2 problems: /process/args: must have at least 1 item; /linux/sysctl/a~1b: bad')).toEqual({ kind: 'pointer', name: '/process/args' });
    expect(namedField('invalid config.json: 1 problem: /: must be object')).toEqual({ kind: 'pointer', name: '/' });
    expect(namedField('cannot open /: permission denied')).toBeUndefined();
  });

  it('a host path is not a pointer; flags and positional arguments count', () => {
    expect(namedField('cannot open /tmp/x/config.json: no such file or directory')).toBeUndefined();
    expect(namedField('flag provided but not defined: --frob (see berth create --help)')).toEqual({ kind: 'flag', name: '--frob' });
    expect(namedField('flag provided but not defined: -x (see berth create --help)')).toEqual({ kind: 'flag', name: '-x' });
    expect(namedField('invalid container id "a/b": only letters, digits and "_+.-" are allowed')).toEqual({ kind: 'argument', name: 'container id' });
    expect(namedField('"create" requires exactly 1 argument: <container-id>, got 0')).toMatchObject({ kind: 'argument' });
    expect(namedField('fz1-x: container does not exist', ['fz1-x'])).toEqual({ kind: 'argument', name: 'container id' });
    expect(namedField('something failed', ['fz1-x'])).toBeUndefined();
    // Every create error starts with the id: that alone names nothing.
    expect(namedField('fz1-x: mount tmpfs on /mnt: Invalid argument (MOUNT_IN_ROOT failed in the child step 9, errno 22)', ['fz1-x'])).toBeUndefined();
  });
});

describe('crashSign and refusalKind', () => {
  it('tells a crash from a refusal', () => {
    expect(crashSign('backend native: create failed: Invalid array length')).toBeDefined();
    expect(crashSign('internal error: RangeError: Maximum call stack size exceeded')).toBeDefined();
    expect(crashSign('c1: /process/args/0: exec "x": No such file or directory (FIND_PROGRAM failed in the child step 3, errno 2)')).toBeUndefined();
  });

  it('sorts refusals by kind', () => {
    expect(refusalKind(2, 'flag provided but not defined: --frob')).toMatch(/^usage/);
    expect(refusalKind(1, 'invalid /b/config.json: 1 problem: /process: is required')).toMatch(/^invalid config/);
    expect(refusalKind(1, 'invalid /b/config.json:\n  /process/rlimits/0/soft: is required\n  /process/rlimits/0/hard: is required')).toMatch(/^invalid config/);
    expect(refusalKind(1, 'c1: /mounts/3: mount: No such device (MOUNT_IN_ROOT failed in the child step 12, errno 19)')).toMatch(/^refused by the kernel/);
  });
});
