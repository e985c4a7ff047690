import { describe, expect, it } from 'vitest';
import { mountPointOf } from './host-facts.js';

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
