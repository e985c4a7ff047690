import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSpec } from './default-spec.js';
import { implementedOciVersion } from './oci-version.js';
import { validateConfig } from './validate-config.js';

describe('defaultSpec', () => {
  it('is a valid config with no diagnostics', () => {
    expect(validateConfig(defaultSpec())).toEqual([]);
  });

  it('is valid in its rootless form with no diagnostics', () => {
    expect(validateConfig(defaultSpec({ rootless: true, uid: 1000, gid: 1000 }))).toEqual([]);
  });

  it('describes the container runc spec describes, at the spec version berth implements', () => {
    const spec = defaultSpec();
    expect(spec.ociVersion).toBe(implementedOciVersion);
    expect(spec.process).toMatchObject({ terminal: true, args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 }, noNewPrivileges: true });
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(spec.linux!.namespaces!.map((ns) => ns.type).sort()).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    expect(spec.mounts!.map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
    expect(spec.linux!.resources).toEqual({ devices: [{ allow: false, access: 'rwm' }] });
  });

  it('makes the rootless adjustments runc makes', () => {
    const spec = defaultSpec({ rootless: true, uid: 1000, gid: 1001 });
    const linux = spec.linux!;
    expect(linux.uidMappings).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
    expect(linux.gidMappings).toEqual([{ containerID: 0, hostID: 1001, size: 1 }]);
    expect(linux.namespaces!.map((ns) => ns.type)).toContain('user');
    expect(linux.namespaces!.map((ns) => ns.type)).not.toContain('network');
    expect(linux).not.toHaveProperty('resources');
    expect(spec.mounts!.filter((m) => m.type === 'cgroup' || m.type === 'sysfs')).toEqual([]);
    expect(spec.mounts!.find((m) => m.destination === '/sys')).toEqual({ destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    expect(spec.mounts!.find((m) => m.type === 'devpts')!.options).not.toContain('gid=5');
  });

  it('returns a fresh document each time', () => {
    const a = defaultSpec();
    a.process!.args!.push('-c');
    a.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
    a.mounts!.pop();
    expect(defaultSpec()).toEqual(JSON.parse(JSON.stringify(defaultSpec())));
    expect(defaultSpec().process!.args).toEqual(['sh']);
    expect(defaultSpec().process!.capabilities!.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(defaultSpec().process!.capabilities!.effective).not.toContain('CAP_SYS_ADMIN');
    expect(defaultSpec().mounts).toHaveLength(7);
  });

  it('is valid rootless for any caller uid and gid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xffff_ffff }), (uid, gid) => {
        const spec = defaultSpec({ rootless: true, uid, gid });
        expect(validateConfig(spec)).toEqual([]);
        expect(spec.linux!.uidMappings![0]!.hostID).toBe(uid);
        expect(spec.linux!.gidMappings![0]!.hostID).toBe(gid);
      }),
    );
  });
});
