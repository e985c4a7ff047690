import { linuxCapabilities, type BackendDescriptor } from '../../core/plugin-api.js';
import { knownMountOptions } from './mount-options.js';
import { validateForNative } from './native-validate.js';
import { seccompArchitectures, supportedSeccompFlags } from './seccomp.js';

/**
 * Linux namespaces, mounts, pivot_root and capabilities through the C helper in native/, which
 * executes a plan compiled here (plan.ts). The default backend. `features` lists only what is
 * implemented.
 */
export const nativeDescriptor: BackendDescriptor = {
  kind: 'backend',
  name: 'native',
  description: 'Linux namespaces through the native/ helper',
  validate: validateForNative,
  features: {
    mountOptions: knownMountOptions,
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: [...linuxCapabilities],
      mountExtensions: { idmap: { enabled: true } },
      // systemd: false because berth makes systemd-style paths on cgroupfs itself (see cgroups/cgroup-path.ts).
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      apparmor: { enabled: true },
      selinux: { enabled: true },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
        archs: Object.keys(seccompArchitectures),
        knownFlags: [...supportedSeccompFlags, 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
        supportedFlags: supportedSeccompFlags,
      },
    },
  },
  load: async () => (await import('./native-backend.js')).createNativeBackend(),
};
