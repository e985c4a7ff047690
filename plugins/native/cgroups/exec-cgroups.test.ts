import { describe, expect, it } from 'vitest';
import { execCgroupDirs } from './exec-cgroups.js';
import type { CgroupLayout } from './layout.js';

/** This host's shape: v1 controllers (cpu and cpuacct co-mounted here) and an empty cgroup2 at unified. */
const hybrid: CgroupLayout = {
  mode: 'hybrid',
  v1: [
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', options: 'cpu,cpuacct', controllers: ['cpu', 'cpuacct'], own: '/berth/c1' },
    { mountPoint: '/sys/fs/cgroup/memory', options: 'memory', controllers: ['memory'], own: '/berth/c1' },
    { mountPoint: '/sys/fs/cgroup/systemd', options: 'name=systemd', controllers: [], own: '/berth/c1' },
  ],
  v2: { mountPoint: '/sys/fs/cgroup/unified', own: '/berth/c1' },
};
const v2: CgroupLayout = { mode: 'v2', v1: [], v2: { mountPoint: '/sys/fs/cgroup', own: '/berth/c1' } };

describe('execCgroupDirs', () => {
  it('without --cgroup: the init\'s cgroup in every hierarchy', () => {
    expect(execCgroupDirs(hybrid, [])).toEqual({
      dirs: ['/sys/fs/cgroup/cpu,cpuacct/berth/c1', '/sys/fs/cgroup/memory/berth/c1', '/sys/fs/cgroup/systemd/berth/c1', '/sys/fs/cgroup/unified/berth/c1'],
      problems: [],
    });
    expect(execCgroupDirs(v2, [])).toEqual({ dirs: ['/sys/fs/cgroup/berth/c1'], problems: [] });
  });

  it('controller:path entries name sub-cgroups per hierarchy (v1); a plain path is the one v2 sub-cgroup', () => {
    expect(execCgroupDirs(hybrid, ['memory:sub', 'cpu,cpuacct:/a/b', 'name=systemd:/']).dirs).toEqual([
      '/sys/fs/cgroup/cpu,cpuacct/berth/c1/a/b',
      '/sys/fs/cgroup/memory/berth/c1/sub',
      '/sys/fs/cgroup/systemd/berth/c1',
      '/sys/fs/cgroup/unified/berth/c1',
    ]);
    expect(execCgroupDirs(v2, ['/x/y'])).toEqual({ dirs: ['/sys/fs/cgroup/berth/c1/x/y'], problems: [] });
  });

  it('refuses what runc refuses, and any way out of the container\'s cgroup, naming the entry', () => {
    expect(execCgroupDirs(hybrid, ['memory:../other']).problems).toEqual(['--cgroup memory:../other: ".." would leave the container\'s cgroup']);
    expect(execCgroupDirs(v2, ['a/../../b']).problems).toEqual(['--cgroup a/../../b: ".." would leave the container\'s cgroup']);
    expect(execCgroupDirs(hybrid, ['sub']).problems).toEqual(['--cgroup sub: this host has cgroup v1 hierarchies: give the controller, as "memory:sub"']);
    expect(execCgroupDirs(hybrid, ['memory:a', 'memory:b']).problems).toEqual(['--cgroup memory:b: controller memory is given more than once']);
    expect(execCgroupDirs(hybrid, [',memory:a']).problems).toEqual(['--cgroup ,memory:a: empty controller name']);
    expect(execCgroupDirs(hybrid, ['rdma:a']).problems).toEqual(['--cgroup: this host has no rdma cgroup hierarchy']);
    expect(execCgroupDirs(hybrid, ['cpu:a', 'cpuacct:b']).problems).toEqual(['--cgroup: cpu,cpuacct share one hierarchy, so they take one path, got a and b']);
    expect(execCgroupDirs(v2, ['memory:a']).problems).toEqual(['--cgroup: this host has cgroup v2 only, where controllers share one hierarchy: give a path without "memory:"']);
    expect(execCgroupDirs(v2, ['a', 'b']).problems).toEqual([
      '--cgroup a: give a "controller:" prefix (only a single --cgroup may go without one)',
      '--cgroup b: give a "controller:" prefix (only a single --cgroup may go without one)',
    ]);
  });
});
