import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCgroupLayout, type V1Hierarchy } from './layout.js';

/** Lines as the kernel writes them (optional fields such as shared:N included). */
const tmpfs = '25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755';
const v1Mounts = [
  '26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd',
  '29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct',
  '30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory',
  '31 25 0:27 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpuset,clone_children',
];
const v1Cgroup = ['5:cpuset:/', '4:memory:/user.slice', '3:cpu,cpuacct:/user.slice', '1:name=systemd:/user.slice/user-1000.slice/session-2.scope'];
const v1Hierarchies: V1Hierarchy[] = [
  { mountPoint: '/sys/fs/cgroup/systemd', options: 'name=systemd', controllers: [], own: '/user.slice/user-1000.slice/session-2.scope' },
  { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', options: 'cpu,cpuacct', controllers: ['cpu', 'cpuacct'], own: '/user.slice' },
  { mountPoint: '/sys/fs/cgroup/memory', options: 'memory', controllers: ['memory'], own: '/user.slice' },
  { mountPoint: '/sys/fs/cgroup/cpuset', options: 'cpuset', controllers: ['cpuset'], own: '/' },
];
const lines = (...parts: (string | string[])[]) => parts.flat().join('\n') + '\n';

describe('parseCgroupLayout', () => {
  it('pure v1: every hierarchy, co-mounted and named ones included, with this process\'s cgroup in each', () => {
    expect(parseCgroupLayout(lines(tmpfs, v1Mounts), lines(v1Cgroup))).toEqual({ mode: 'v1', v1: v1Hierarchies });
  });

  it('hybrid: the v1 hierarchies and the cgroup2 mount at /sys/fs/cgroup/unified', () => {
    const unified = '32 25 0:28 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:14 - cgroup2 cgroup2 rw,nsdelegate';
    expect(parseCgroupLayout(lines(tmpfs, v1Mounts, unified), lines(v1Cgroup, '0::/user.slice/user-1000.slice/session-2.scope'))).toEqual({
      mode: 'hybrid',
      v1: v1Hierarchies,
      v2: { mountPoint: '/sys/fs/cgroup/unified', own: '/user.slice/user-1000.slice/session-2.scope' },
    });
  });

  it('pure v2: only the cgroup2 mount at /sys/fs/cgroup', () => {
    const mountinfo = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot';
    expect(parseCgroupLayout(lines(mountinfo), lines('0::/user.slice/user-1000.slice/session-1.scope'))).toEqual({
      mode: 'v2',
      v1: [],
      v2: { mountPoint: '/sys/fs/cgroup', own: '/user.slice/user-1000.slice/session-1.scope' },
    });
  });

  it('the host\'s own cgroup2 mount wins over another mount of the same hierarchy', () => {
    const mountinfo = lines('40 23 0:26 / /tmp/elsewhere rw - cgroup2 none rw', '30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw');
    expect(parseCgroupLayout(mountinfo, '0::/a\n').v2).toEqual({ mountPoint: '/sys/fs/cgroup', own: '/a' });
  });

  it('co-mounted controllers match whatever order /proc/self/cgroup names them in', () => {
    const mountinfo = lines('29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpuacct,cpu');
    expect(parseCgroupLayout(mountinfo, '3:cpu,cpuacct:/x\n').v1).toEqual([{ mountPoint: '/sys/fs/cgroup/cpu,cpuacct', options: 'cpuacct,cpu', controllers: ['cpuacct', 'cpu'], own: '/x' }]);
  });

  it('a second mount of a v1 hierarchy (a bind mount elsewhere) is ignored', () => {
    const mountinfo = lines('30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory', '90 25 0:26 / /mnt/memory rw - cgroup cgroup rw,memory');
    expect(parseCgroupLayout(mountinfo, '4:memory:/\n').v1.map((h) => h.mountPoint)).toEqual(['/sys/fs/cgroup/memory']);
  });

  it('inside a container: a hierarchy mounted from the container\'s cgroup gives cgroups relative to that root', () => {
    const mountinfo = lines(
      '700 690 0:26 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory',
      '701 690 0:27 /docker/abc /sys/fs/cgroup/pids ro,nosuid - cgroup cgroup rw,pids',
      '702 690 0:28 /docker/abc /sys/fs/cgroup/blkio ro,nosuid - cgroup cgroup rw,blkio',
    );
    const cgroup = lines('4:memory:/docker/abc', '3:pids:/docker/abc/inner', '2:blkio:/docker/abcdef');
    expect(parseCgroupLayout(mountinfo, cgroup).v1.map((h) => h.own)).toEqual(['/', '/inner', '/docker/abcdef']);
  });

  it('mount points with spaces come unescaped', () => {
    const mountinfo = lines('30 25 0:26 / /sys/fs/cgroup/my\\040memory rw - cgroup cgroup rw,memory');
    expect(parseCgroupLayout(mountinfo, '4:memory:/\n').v1[0]!.mountPoint).toBe('/sys/fs/cgroup/my memory');
  });

  it('finds every mounted hierarchy and this process\'s cgroup relative to the mount\'s root, whatever the host', () => {
    const controllers = ['cpu', 'cpuacct', 'memory', 'devices', 'freezer', 'pids', 'blkio', 'cpuset', 'hugetlb', 'net_cls', 'net_prio'];
    const cgroupPath = fc.array(fc.constantFrom('a', 'ab', 'b', 'c d', 'x.slice'), { maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
    const hierarchy = fc.record({
      own: cgroupPath,
      // How many of own's leading components the mount's root is (as inside a container), or a
      // root own is not below (a sibling that shares a prefix with it).
      rootDepth: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(-1)),
    });
    const host = fc.record({
      groups: fc.shuffledSubarray(controllers, { minLength: 0 }).chain((picked) => fc.array(fc.integer({ min: 1, max: 2 }), { minLength: picked.length, maxLength: picked.length }).map((sizes) => splitIntoGroups(picked, sizes))),
      named: fc.boolean(),
      v2: fc.boolean(),
    });
    fc.assert(
      fc.property(host, fc.array(hierarchy, { minLength: 13, maxLength: 13 }), ({ groups, named, v2 }, places) => {
        fc.pre(groups.length > 0 || named || v2);
        const names = [...groups.map((g) => g.join(',')), ...(named ? ['name=systemd'] : [])];
        const mountinfo: string[] = [];
        const cgroup: string[] = [];
        const expected: V1Hierarchy[] = [];
        names.forEach((name, i) => {
          const { own, rootDepth } = places[i]!;
          const parts = own.split('/').filter(Boolean);
          const root = rootDepth < 0 ? siblingOf(own) : `/${parts.slice(0, rootDepth).join('/')}`;
          const mountPoint = `/sys/fs/cgroup/${name.replace('name=', '')} dir`;
          mountinfo.push(`${30 + i} 25 0:${40 + i} ${escape(root)} ${escape(mountPoint)} rw,relatime - cgroup cgroup rw,${name}`);
          cgroup.push(`${i + 1}:${name}:${own}`);
          const relative = rootDepth < 0 || root === '/' ? own : `/${parts.slice(rootDepth).join('/')}`;
          expected.push({ mountPoint, options: name, controllers: name.startsWith('name=') ? [] : name.split(','), own: relative });
        });
        if (v2) {
          mountinfo.push('60 25 0:60 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw');
          cgroup.push(`0::${places[12]!.own}`);
        }
        const layout = parseCgroupLayout(lines(mountinfo), lines(cgroup.reverse()));
        expect(layout.v1).toEqual(expected);
        expect(layout.v2).toEqual(v2 ? { mountPoint: '/sys/fs/cgroup/unified', own: places[12]!.own } : undefined);
        expect(layout.mode).toBe(expected.length === 0 ? 'v2' : v2 ? 'hybrid' : 'v1');
      }),
      { numRuns: 500 },
    );
  });
});

function splitIntoGroups(items: string[], sizes: number[]): string[][] {
  const groups: string[][] = [];
  for (let at = 0, i = 0; at < items.length; i++) {
    groups.push(items.slice(at, at + sizes[i]!));
    at += sizes[i]!;
  }
  return groups;
}

/** A cgroup path that shares a prefix with `path` but does not contain it: "/x/ab" → "/x/a", "/x/a" → "/x/az". */
function siblingOf(path: string): string {
  const last = path.split('/').at(-1)!;
  return last.length >= 2 ? path.slice(0, -1) : `${path === '/' ? '' : path}z`;
}

/** mountinfo's octal escapes for space, tab, newline and backslash. */
function escape(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}
