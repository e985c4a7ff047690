import { describe, expect, it } from 'vitest';
import { hookKinds } from './config.js';
import { behaviourAnnotations, mergeFeatures, type BackendFeatures } from './features.js';
import { linuxCapabilities } from './capabilities.js';
import { validateFeaturesSchema } from './schema/validators.generated.mjs';

const native: { name: string; features: BackendFeatures } = {
  name: 'native',
  features: {
    mountOptions: ['rbind', 'ro', 'nosuid', 'bind'],
    linux: {
      namespaces: ['mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup'],
      capabilities: [...linuxCapabilities],
      cgroup: { v2: true, systemd: false },
      seccomp: { enabled: true, actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO'], operators: ['SCMP_CMP_EQ'], archs: ['SCMP_ARCH_X86_64'], knownFlags: ['SECCOMP_FILTER_FLAG_LOG'], supportedFlags: [] },
      apparmor: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
    },
  },
};
const zone = { name: 'zone', features: { mountOptions: ['ro', 'noexec'], linux: { namespaces: ['time', 'pid'], cgroup: { v1: true }, selinux: { enabled: true } } } };
const wasm = { name: 'wasm' };

describe('mergeFeatures', () => {
  it('declares what the core implements: the version range, every hook kind, the behaviour annotations', () => {
    const features = mergeFeatures([wasm], '0.1.0');
    expect(features).toEqual({
      ociVersionMin: '1.0.0',
      ociVersionMax: '1.3.0',
      hooks: [...hookKinds],
      mountOptions: [],
      annotations: { 'run.berth.version': '0.1.0', 'run.berth.backends': 'wasm' },
      potentiallyUnsafeConfigAnnotations: behaviourAnnotations,
    });
  });

  it('never advertises linux features no backend declares', () => {
    expect(mergeFeatures([], '0.1.0')).not.toHaveProperty('linux');
    expect(mergeFeatures([wasm, { name: 'x', features: { mountOptions: ['ro'] } }], '0.1.0')).not.toHaveProperty('linux');
  });

  it('takes the sorted union of lists and the "any backend" of flags', () => {
    const features = mergeFeatures([native, zone, wasm], '0.1.0');
    expect(features.mountOptions).toEqual(['bind', 'noexec', 'nosuid', 'rbind', 'ro']);
    expect(features.annotations!['run.berth.backends']).toBe('native,zone,wasm');
    expect(features.linux!.namespaces).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
    expect(features.linux!.capabilities).toEqual([...linuxCapabilities].sort());
    expect(features.linux!.cgroup).toEqual({ v1: true, v2: true, systemd: false, systemdUser: false, rdma: false });
    expect(features.linux!.seccomp!.enabled).toBe(true);
    expect(features.linux!.selinux).toEqual({ enabled: true });
    expect(features.linux!.apparmor).toEqual({ enabled: false });
    expect(features.linux!.mountExtensions).toEqual({ idmap: { enabled: true } });
    expect(features.linux!.netDevices).toEqual({ enabled: false });
  });

  it('does not share arrays with its inputs', () => {
    const features = mergeFeatures([native], '0.1.0');
    features.hooks!.push('x');
    features.potentiallyUnsafeConfigAnnotations!.push('x');
    expect(mergeFeatures([native], '0.1.0').hooks).toEqual([...hookKinds]);
    expect(behaviourAnnotations).not.toContain('x');
  });

  it('produces documents the v1.3.0 features schema accepts, without and with backend linux features', () => {
    for (const backends of [[], [wasm], [native], [native, zone, wasm]]) {
      const features = mergeFeatures(backends, '0.1.0');
      expect(validateFeaturesSchema(features), JSON.stringify(validateFeaturesSchema.errors)).toBe(true);
    }
  });

  it('is checked by the schema: a bad namespace name is refused', () => {
    const features = mergeFeatures([{ name: 'bad', features: { linux: { namespaces: ['net'] } } }], '0.1.0');
    expect(validateFeaturesSchema(features)).toBe(false);
  });
});
