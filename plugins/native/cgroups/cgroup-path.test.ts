import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerCgroupPath, expandSlice } from './cgroup-path.js';

describe('containerCgroupPath without --systemd-cgroup', () => {
  it('defaults to the container id below the runtime\'s own cgroup', () => {
    expect(containerCgroupPath(undefined, 'web', false)).toEqual({ path: { path: 'web', belowOwn: true } });
    expect(containerCgroupPath('', 'web', false)).toEqual({ path: { path: 'web', belowOwn: true } });
  });

  it('puts an absolute path below each hierarchy\'s root, normalized', () => {
    expect(containerCgroupPath('/berth/web', 'x', false)).toEqual({ path: { path: '/berth/web', belowOwn: false } });
    expect(containerCgroupPath('//berth//web/', 'x', false)).toEqual({ path: { path: '/berth/web', belowOwn: false } });
    expect(containerCgroupPath('/berth/./web', 'x', false)).toEqual({ path: { path: '/berth/web', belowOwn: false } });
  });

  it('puts a relative path below the runtime\'s own cgroup, normalized', () => {
    expect(containerCgroupPath('berth/web', 'x', false)).toEqual({ path: { path: 'berth/web', belowOwn: true } });
    expect(containerCgroupPath('./berth//web/', 'x', false)).toEqual({ path: { path: 'berth/web', belowOwn: true } });
  });

  it('refuses the hierarchy\'s root and the runtime\'s own cgroup, whose processes delete would kill', () => {
    expect(containerCgroupPath('/', 'x', false)).toEqual({ problem: 'must name a cgroup below the hierarchy\'s root, not the root' });
    expect(containerCgroupPath('/a/..', 'x', false)).toEqual({ problem: 'must name a cgroup below the hierarchy\'s root, not the root' });
    expect(containerCgroupPath('.', 'x', false)).toEqual({ problem: 'must name a cgroup below the runtime\'s own, not the runtime\'s own cgroup' });
    expect(containerCgroupPath('a/../', 'x', false)).toEqual({ problem: 'must name a cgroup below the runtime\'s own, not the runtime\'s own cgroup' });
  });

  it('never climbs out with "..", whatever the path', () => {
    const segment = fc.constantFrom('a', 'b', '.', '..', '', 'c d');
    fc.assert(
      fc.property(fc.boolean(), fc.array(segment, { maxLength: 8 }), (absolute, segments) => {
        const text = `${absolute ? '/' : ''}${segments.join('/')}`;
        const { path, problem } = containerCgroupPath(text, 'id', false);
        if (!path) {
          expect(problem).toMatch(/^must name a cgroup below/);
          return;
        }
        expect(path.path.split('/')).not.toContain('..');
        expect(path.path.split('/').slice(1)).not.toContain('');
        expect(path.belowOwn).toBe(!text.startsWith('/'));
        if (path.belowOwn) expect(path.path.startsWith('/')).toBe(false);
        else expect(path.path.startsWith('/')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('containerCgroupPath with --systemd-cgroup', () => {
  it('maps slice:prefix:name to the scope in the expanded slice, and says how', () => {
    expect(containerCgroupPath('system.slice:docker:abc', 'x', true)).toEqual({
      path: { path: '/system.slice/docker-abc.scope', belowOwn: false, note: 'systemd is not managing cgroups here: system.slice:docker:abc is made directly as the cgroupfs path /system.slice/docker-abc.scope' },
    });
    expect(containerCgroupPath('machine-app-web.slice:p:n', 'x', true).path?.path).toBe('/machine.slice/machine-app.slice/machine-app-web.slice/p-n.scope');
    expect(containerCgroupPath('-.slice:p:n', 'x', true).path?.path).toBe('/p-n.scope');
    expect(containerCgroupPath('a.slice::n', 'x', true).path?.path).toBe('/a.slice/n.scope');
    expect(containerCgroupPath('a.slice:p:child.slice', 'x', true).path?.path).toBe('/a.slice/child.slice');
  });

  it('defaults the slice to system.slice, and the whole path to system.slice:berth:<id>', () => {
    expect(containerCgroupPath(':p:n', 'x', true).path?.path).toBe('/system.slice/p-n.scope');
    expect(containerCgroupPath(undefined, 'web', true).path?.path).toBe('/system.slice/berth-web.scope');
  });

  it('refuses what is not slice:prefix:name with a valid slice and a unit name', () => {
    expect(containerCgroupPath('system.slice:n', 'x', true).problem).toBe('with --systemd-cgroup, must be "slice:prefix:name", got "system.slice:n"');
    expect(containerCgroupPath('a:b:c:d', 'x', true).problem).toBe('with --systemd-cgroup, must be "slice:prefix:name", got "a:b:c:d"');
    expect(containerCgroupPath('system.slice:p:', 'x', true).problem).toBe('with --systemd-cgroup, the name part of "system.slice:p:" must not be empty');
    expect(containerCgroupPath('system:p:n', 'x', true).problem).toBe('"system" is not a valid systemd slice name');
    expect(containerCgroupPath('a--b.slice:p:n', 'x', true).problem).toBe('"a--b.slice" is not a valid systemd slice name');
    expect(containerCgroupPath('system.slice::../n', 'x', true).problem).toBe('with --systemd-cgroup, "system.slice::../n" names a unit with a "/", which systemd unit names cannot have');
  });
});

describe('expandSlice', () => {
  it('nests a slice in the slices its dashes name', () => {
    expect(expandSlice('a-b-c.slice')).toBe('/a.slice/a-b.slice/a-b-c.slice');
    expect(expandSlice('system.slice')).toBe('/system.slice');
    expect(expandSlice('-.slice')).toBe('/');
  });

  it('refuses names that are not slices or have an empty part', () => {
    for (const name of ['system', '.slice', '-a.slice', 'a-.slice', 'a--b.slice', 'a/b.slice', '--.slice', 'a.slice.scope']) expect(expandSlice(name), name).toBeUndefined();
  });

  it('makes one level per dash-separated part, each named by the parts so far', () => {
    const part = fc.stringMatching(/^[a-z0-9_.@]{1,6}$/);
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const levels = expandSlice(`${parts.join('-')}.slice`)!.split('/').slice(1);
        expect(levels).toEqual(parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`));
      }),
    );
  });

  it('refuses any name with an empty dash-separated part', () => {
    const part = fc.stringMatching(/^[a-z0-9]{0,4}$/);
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }).filter((parts) => parts.some((p) => p === '') && parts.join('-') !== '-'), (parts) => {
        expect(expandSlice(`${parts.join('-')}.slice`)).toBeUndefined();
      }),
    );
  });
});
