import { hookKinds } from './config.js';
import { ociVersionMax, ociVersionMin } from './oci-version.js';

/** The OCI features document (features.md, v1.3.0). */
export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks?: string[];
  mountOptions?: string[];
  annotations?: Record<string, string>;
  potentiallyUnsafeConfigAnnotations?: string[];
  linux?: LinuxFeatures;
}

export interface LinuxFeatures {
  namespaces?: string[];
  capabilities?: string[];
  cgroup?: { v1?: boolean; v2?: boolean; systemd?: boolean; systemdUser?: boolean; rdma?: boolean };
  seccomp?: { enabled?: boolean; actions?: string[]; operators?: string[]; archs?: string[]; knownFlags?: string[]; supportedFlags?: string[] };
  apparmor?: { enabled?: boolean };
  selinux?: { enabled?: boolean };
  intelRdt?: { enabled?: boolean };
  mountExtensions?: { idmap?: { enabled?: boolean } };
  netDevices?: { enabled?: boolean };
}

/** What one backend implements, declared statically by its descriptor (no probing at run time). */
export interface BackendFeatures {
  mountOptions?: string[];
  linux?: LinuxFeatures;
}

/** Annotation keys that change how berth runs a container (the features doc lists them). */
export const behaviourAnnotations = ['run.berth.', 'run.oci.handler', 'module.wasm.image/variant'];

/**
 * berth's features: what the core itself implements (the version range, every hook kind) plus
 * the union of what its registered backends declare. A field no backend implements is absent,
 * never advertised.
 */
export function mergeFeatures(backends: readonly { name: string; features?: BackendFeatures }[], version: string): Features {
  const features: Features = {
    ociVersionMin,
    ociVersionMax,
    hooks: [...hookKinds],
    mountOptions: sortedUnion(backends.map((b) => b.features?.mountOptions)),
    annotations: {
      'run.berth.version': version,
      'run.berth.backends': backends.map((b) => b.name).join(','),
    },
    potentiallyUnsafeConfigAnnotations: [...behaviourAnnotations],
  };
  const linux = mergeLinux(backends.map((b) => b.features?.linux).filter((l): l is LinuxFeatures => l !== undefined));
  if (linux) features.linux = linux;
  return features;
}

function mergeLinux(all: LinuxFeatures[]): LinuxFeatures | undefined {
  if (all.length === 0) return undefined;
  const pickList = (get: (l: LinuxFeatures) => string[] | undefined) => sortedUnion(all.map(get));
  const anyTrue = (get: (l: LinuxFeatures) => boolean | undefined) => all.some((l) => get(l) === true);
  const out: LinuxFeatures = {
    namespaces: pickList((l) => l.namespaces),
    capabilities: pickList((l) => l.capabilities),
    cgroup: {
      v1: anyTrue((l) => l.cgroup?.v1),
      v2: anyTrue((l) => l.cgroup?.v2),
      systemd: anyTrue((l) => l.cgroup?.systemd),
      systemdUser: anyTrue((l) => l.cgroup?.systemdUser),
      rdma: anyTrue((l) => l.cgroup?.rdma),
    },
    seccomp: {
      enabled: anyTrue((l) => l.seccomp?.enabled),
      actions: pickList((l) => l.seccomp?.actions),
      operators: pickList((l) => l.seccomp?.operators),
      archs: pickList((l) => l.seccomp?.archs),
      knownFlags: pickList((l) => l.seccomp?.knownFlags),
      supportedFlags: pickList((l) => l.seccomp?.supportedFlags),
    },
    apparmor: { enabled: anyTrue((l) => l.apparmor?.enabled) },
    selinux: { enabled: anyTrue((l) => l.selinux?.enabled) },
    intelRdt: { enabled: anyTrue((l) => l.intelRdt?.enabled) },
    mountExtensions: { idmap: { enabled: anyTrue((l) => l.mountExtensions?.idmap?.enabled) } },
    netDevices: { enabled: anyTrue((l) => l.netDevices?.enabled) },
  };
  return out;
}

function sortedUnion(lists: (string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((l) => l ?? []))].sort();
}
