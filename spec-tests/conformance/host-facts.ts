import { readFileSync } from 'node:fs';
import { namespaceInode } from './residue.js';

/**
 * What the suite needs to know about the machine to generate cases every runtime can honour
 * here (a limit above the host's hard limit cannot be granted without CAP_SYS_RESOURCE) and to
 * tell a container's view from the host's. Read once, from the suite's own process.
 */
export interface HostFacts {
  /** Capability names in the suite's bounding set: the most a container can be given. */
  boundingCaps: string[];
  /** Hard limits of the suite's process, by RLIMIT_ name; null is unlimited. */
  hardLimits: Record<string, number | null>;
  oomScoreAdj: number;
  /** Namespace inode of the suite's process, by the probe's kind names. */
  namespaces: Record<NamespaceKind, number | null>;
  /** Host (runtime namespace) values of the sysctls cases set, to see they stay the host's. */
  sysctls: Record<string, string | null>;
}

export const namespaceKinds = ['user', 'mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'] as const;
export type NamespaceKind = (typeof namespaceKinds)[number];

/** capabilities(7) numbering, as the kernel's /proc bit sets use it. */
export const capabilityNames = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** The sysctls the config properties set (namespaced: net in a new network namespace, kernel.msg* / shm* in a new IPC one). */
export const namespacedSysctls = { 'net.ipv4.ip_forward': 'net', 'net.ipv4.tcp_syncookies': 'net', 'kernel.msgmax': 'ipc', 'kernel.shmmni': 'ipc' } as const;

export function capsFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return capabilityNames.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** Parses /proc/PID/limits into hard limits by RLIMIT_ name. */
export function parseHardLimits(text: string): Record<string, number | null> {
  const names: Record<string, string> = {
    'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA', 'Max stack size': 'RLIMIT_STACK',
    'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS', 'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE',
    'Max locked memory': 'RLIMIT_MEMLOCK', 'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
    'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO', 'Max realtime timeout': 'RLIMIT_RTTIME',
  };
  const limits: Record<string, number | null> = {};
  for (const [label, name] of Object.entries(names)) {
    const line = text.split('\n').find((l) => l.startsWith(label));
    // Columns: label (padded to 26), soft, hard, units.
    const hard = line?.slice(26).trim().split(/\s+/)[1];
    if (hard !== undefined) limits[name] = hard === 'unlimited' ? null : Number(hard);
  }
  return limits;
}

function readSysctl(name: string): string | null {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return null;
  }
}

export function readHostFacts(): HostFacts {
  const status = readFileSync('/proc/self/status', 'utf8');
  const capBnd = /^CapBnd:\s*([0-9a-f]+)/m.exec(status)![1];
  return {
    boundingCaps: capsFromMask(capBnd),
    hardLimits: parseHardLimits(readFileSync('/proc/self/limits', 'utf8')),
    oomScoreAdj: Number(readFileSync('/proc/self/oom_score_adj', 'utf8')),
    namespaces: Object.fromEntries(namespaceKinds.map((k) => [k, namespaceInode('self', k)])) as Record<NamespaceKind, number | null>,
    sysctls: Object.fromEntries(Object.keys(namespacedSysctls).map((k) => [k, readSysctl(k)])),
  };
}
