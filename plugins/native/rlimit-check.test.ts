import { describe, expect, it } from 'vitest';
import type { Process } from '../../core/plugin-api.js';
import { rlimitProblems, type RlimitHostFacts } from './rlimit-check.js';

const u64max = 2n ** 64n - 1n;
/** This VM: nofile hard 20000, core unlimited, no CAP_SYS_RESOURCE. */
const host: RlimitHostFacts = { hardLimits: { RLIMIT_NOFILE: 20000n, RLIMIT_CORE: u64max }, capSysResource: false, nrOpen: 1048576n };
const process = (...rlimits: Process['rlimits'] & object): Process => ({ cwd: '/', user: { uid: 0, gid: 0 }, rlimits });

describe('rlimitProblems', () => {
  it('takes what the host grants: up to its hard limit, unlimited where it is unlimited', () => {
    expect(rlimitProblems(process({ type: 'RLIMIT_CORE', soft: u64max, hard: u64max }, { type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 }), [], [], host)).toEqual([]);
  });

  it('refuses a hard limit above the host\'s without CAP_SYS_RESOURCE, naming the field, the limit and why', () => {
    expect(rlimitProblems(process({ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: u64max, hard: u64max }), [], [], host)).toEqual([
      { pointer: '/process/rlimits/1/hard', message: 'RLIMIT_NOFILE hard limit 18446744073709551615 is above the host\'s hard limit 20000, and berth lacks CAP_SYS_RESOURCE to raise it (setting it would fail: operation not permitted)' },
    ]);
  });

  it('with CAP_SYS_RESOURCE lets a hard limit rise, but not past fs.nr_open, nor inside a new user namespace', () => {
    const capable = { ...host, capSysResource: true };
    expect(rlimitProblems(process({ type: 'RLIMIT_NOFILE', soft: 30000, hard: 30000 }), [], [], capable)).toEqual([]);
    expect(rlimitProblems(process({ type: 'RLIMIT_NOFILE', soft: 30000, hard: 2_000_000 }), [], [], capable)).toEqual([
      { pointer: '/process/rlimits/0/hard', message: 'RLIMIT_NOFILE hard limit 2000000 is above fs.nr_open (1048576), the most open files the kernel allows a process' },
    ]);
    expect(rlimitProblems(process({ type: 'RLIMIT_NOFILE', soft: 30000, hard: 30000 }), [{ type: 'user' }], [], capable)).toEqual([
      { pointer: '/process/rlimits/0/hard', message: 'RLIMIT_NOFILE hard limit 30000 is above the host\'s hard limit 20000, and the container\'s own user namespace cannot raise it: CAP_SYS_RESOURCE counts only in the host\'s user namespace (setting it would fail: operation not permitted)' },
    ]);
    // Joining the host's own user namespace by path is staying in it.
    expect(rlimitProblems(process({ type: 'RLIMIT_NOFILE', soft: 30000, hard: 30000 }), [{ type: 'user', path: '/proc/1/ns/user' }], ['/proc/1/ns/user'], capable)).toEqual([]);
  });

  it('says nothing without host facts or for a type the host does not list', () => {
    expect(rlimitProblems(process({ type: 'RLIMIT_NOFILE', soft: u64max, hard: u64max }), [], [], undefined)).toEqual([]);
    expect(rlimitProblems(process({ type: 'RLIMIT_RTTIME', soft: u64max, hard: u64max }), [], [], host)).toEqual([]);
  });
});
