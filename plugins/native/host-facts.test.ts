import { describe, expect, it } from 'vitest';
import { hasCapSysResource, measureRlimitHost, mountPointOf, parseHardLimits } from './host-facts.js';

const mountinfo = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '30 22 0:26 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw',
  '41 30 0:45 / /tmp/graph/overlay/abc/merged rw,relatime - overlay overlay rw,lowerdir=/x',
  '42 30 0:46 / /tmp/with\\040space rw - tmpfs tmpfs rw',
].join('\n');

describe('mountPointOf', () => {
  it('is the rootfs itself when it is a mount point (podman\'s overlay), else the longest mount above it', () => {
    expect(mountPointOf('/tmp/graph/overlay/abc/merged', mountinfo)).toBe('/tmp/graph/overlay/abc/merged');
    expect(mountPointOf('/tmp/bundle/rootfs', mountinfo)).toBe('/tmp');
    expect(mountPointOf('/tmp/with space/rootfs', mountinfo)).toBe('/tmp/with space');
    expect(mountPointOf('/srv/rootfs', mountinfo)).toBe('/');
  });

  it('never takes a mount point that is only a string prefix of the path', () => {
    expect(mountPointOf('/tmpfoo/rootfs', mountinfo)).toBe('/');
    expect(mountPointOf('/tmp/graph/overlay/abc/merged2', mountinfo)).toBe('/tmp');
  });
});

describe('rlimit host facts', () => {
  const limits = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max core file size        0                    unlimited            bytes     ',
    'Max open files            1024                 20000                files     ',
    'Max nice priority         0                    0                    ',
  ].join('\n');

  it('reads the hard limits of /proc/<pid>/limits by RLIMIT_* name, "unlimited" as 2^64-1', () => {
    expect(parseHardLimits(limits)).toEqual({ RLIMIT_CPU: 2n ** 64n - 1n, RLIMIT_CORE: 2n ** 64n - 1n, RLIMIT_NOFILE: 20000n, RLIMIT_NICE: 0n });
  });

  it('finds CAP_SYS_RESOURCE (bit 24) in CapEff, and only there', () => {
    expect(hasCapSysResource('CapPrm:\t000001ffffffffff\nCapEff:\t000001fffeffffff\n')).toBe(false);
    expect(hasCapSysResource('CapEff:\t0000000001000000\n')).toBe(true);
    expect(hasCapSysResource('CapBnd:\t0000000001000000\n')).toBe(false);
  });

  it('measures this process: every limit /proc/self/limits lists', () => {
    expect(Object.keys(measureRlimitHost().hardLimits)).toHaveLength(16);
  });
});
