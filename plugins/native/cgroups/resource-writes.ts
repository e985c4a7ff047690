import type { DeviceRule, Integer64, LinuxResources, ThrottleDevice } from '../../../core/plugin-api.js';
import { pointerOf, type Diagnostic } from '../../../core/plugin-api.js';

/**
 * linux.resources → the cgroup files to write, in order, each tagged with the field it comes
 * from so a failed write names it. Pure. A 64-bit value (a bigint beyond 2^53) is written with
 * all its digits, and any arithmetic on one is exact. v1 and v2 differ in files and units (runc's
 * conversions); a field one version has no file for is a problem, never a silent no-op.
 */
export interface CgroupWrite {
  /** The controller owning the file ("cgroup" for v2 core files): picks the v1 hierarchy. */
  controller: string;
  file: string;
  value: string;
  pointer: string;
  /** When the file does not exist, this one (blkio.weight or blkio.bfq.weight, by I/O scheduler). */
  fallback?: { file: string; value: string };
}

export interface CompiledResources {
  writes: CgroupWrite[];
  problems: Diagnostic[];
}

const at = (...path: (string | number)[]) => pointerOf('linux', 'resources', ...path);

/** The devices every container may use whatever its rules say (runc's AllowedDevices), after the config's rules. */
export const alwaysAllowedDevices: DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
];

export interface PointedDeviceRule {
  rule: DeviceRule;
  /** Where it comes from: a config rule, linux.devices, or berth's always-allowed list (""). */
  pointer: string;
}

/** The config's device rules, then the always-allowed ones, then the config's devices (as runc orders them). */
export function effectiveDeviceRules(rules: readonly DeviceRule[], devices: readonly { type: string; major?: Integer64; minor?: Integer64 }[]): PointedDeviceRule[] {
  return [
    ...rules.map((rule, i) => ({ rule, pointer: at('devices', i) })),
    ...alwaysAllowedDevices.map((rule) => ({ rule, pointer: '' })),
    ...devices.flatMap((d, i) =>
      d.type === 'p' ? [] : [{ rule: { allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm' }, pointer: pointerOf('linux', 'devices', i) }],
    ),
  ];
}

/** A v1 devices.allow/deny line: "c 1:3 rwm", "a *:* rwm". */
export function deviceLine(rule: DeviceRule): string {
  const type = rule.type ?? 'a';
  const number = (n: Integer64 | undefined) => (n === undefined || n < 0 ? '*' : String(n));
  return `${type} ${number(rule.major)}:${number(rule.minor)} ${rule.access || 'rwm'}`;
}

export function v1Writes(resources: LinuxResources, deviceRules?: readonly PointedDeviceRule[]): CompiledResources {
  const writes: CgroupWrite[] = [];
  const problems: Diagnostic[] = [];
  const write = (controller: string, file: string, value: string | Integer64, pointer: string, fallbackFile?: string) =>
    writes.push({ controller, file, value: String(value), pointer, ...(fallbackFile ? { fallback: { file: fallbackFile, value: String(value) } } : {}) });
  const { memory, cpu, pids, blockIO } = resources;

  if (memory) {
    if (memory.limit !== undefined) write('memory', 'memory.limit_in_bytes', memory.limit, at('memory', 'limit'));
    if (memory.swap !== undefined) write('memory', 'memory.memsw.limit_in_bytes', memory.swap, at('memory', 'swap'));
    if (memory.reservation !== undefined) write('memory', 'memory.soft_limit_in_bytes', memory.reservation, at('memory', 'reservation'));
    if (memory.kernel !== undefined) write('memory', 'memory.kmem.limit_in_bytes', memory.kernel, at('memory', 'kernel'));
    if (memory.kernelTCP !== undefined) write('memory', 'memory.kmem.tcp.limit_in_bytes', memory.kernelTCP, at('memory', 'kernelTCP'));
    if (memory.swappiness !== undefined) write('memory', 'memory.swappiness', memory.swappiness, at('memory', 'swappiness'));
    if (memory.disableOOMKiller !== undefined) write('memory', 'memory.oom_control', memory.disableOOMKiller ? 1 : 0, at('memory', 'disableOOMKiller'));
    if (memory.useHierarchy !== undefined) write('memory', 'memory.use_hierarchy', memory.useHierarchy ? 1 : 0, at('memory', 'useHierarchy'));
  }
  if (cpu) {
    if (cpu.shares !== undefined && cpu.shares !== 0) write('cpu', 'cpu.shares', cpu.shares, at('cpu', 'shares'));
    if (cpu.period !== undefined && cpu.period !== 0) write('cpu', 'cpu.cfs_period_us', cpu.period, at('cpu', 'period'));
    if (cpu.quota !== undefined && cpu.quota !== 0) write('cpu', 'cpu.cfs_quota_us', cpu.quota, at('cpu', 'quota'));
    if (cpu.burst !== undefined) write('cpu', 'cpu.cfs_burst_us', cpu.burst, at('cpu', 'burst'));
    if (cpu.realtimePeriod !== undefined && cpu.realtimePeriod !== 0) write('cpu', 'cpu.rt_period_us', cpu.realtimePeriod, at('cpu', 'realtimePeriod'));
    if (cpu.realtimeRuntime !== undefined && cpu.realtimeRuntime !== 0) write('cpu', 'cpu.rt_runtime_us', cpu.realtimeRuntime, at('cpu', 'realtimeRuntime'));
    if (cpu.idle !== undefined) write('cpu', 'cpu.idle', cpu.idle, at('cpu', 'idle'));
    if (cpu.cpus) write('cpuset', 'cpuset.cpus', cpu.cpus, at('cpu', 'cpus'));
    if (cpu.mems) write('cpuset', 'cpuset.mems', cpu.mems, at('cpu', 'mems'));
  }
  // As runc: 0 leaves the limit alone, a negative one lifts it.
  if (pids?.limit !== undefined && pids.limit !== 0) write('pids', 'pids.max', pids.limit > 0 ? pids.limit : 'max', at('pids', 'limit'));
  if (blockIO) {
    if (blockIO.weight !== undefined && blockIO.weight !== 0) write('blkio', 'blkio.weight', blockIO.weight, at('blockIO', 'weight'), 'blkio.bfq.weight');
    if (blockIO.leafWeight !== undefined && blockIO.leafWeight !== 0) write('blkio', 'blkio.leaf_weight', blockIO.leafWeight, at('blockIO', 'leafWeight'));
    (blockIO.weightDevice ?? []).forEach((d, i) => {
      if (d.weight !== undefined) write('blkio', 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`, at('blockIO', 'weightDevice', i, 'weight'), 'blkio.bfq.weight_device');
      if (d.leafWeight !== undefined) write('blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`, at('blockIO', 'weightDevice', i, 'leafWeight'));
    });
    const throttles: [keyof typeof blockIO, string][] = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ];
    for (const [field, file] of throttles) {
      ((blockIO[field] as ThrottleDevice[] | undefined) ?? []).forEach((d, i) => write('blkio', file, `${d.major}:${d.minor} ${d.rate}`, at('blockIO', field, i)));
    }
  }
  (resources.hugepageLimits ?? []).forEach((h, i) => write('hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, h.limit, at('hugepageLimits', i)));
  if (resources.network?.classID !== undefined) write('net_cls', 'net_cls.classid', resources.network.classID, at('network', 'classID'));
  (resources.network?.priorities ?? []).forEach((p, i) => write('net_prio', 'net_prio.ifpriomap', `${p.name} ${p.priority}`, at('network', 'priorities', i)));
  for (const [device, limits] of Object.entries(resources.rdma ?? {})) write('rdma', 'rdma.max', rdmaLine(device, limits), at('rdma', device));
  if (deviceRules) {
    for (const { rule, pointer } of deviceRules) write('devices', rule.allow ? 'devices.allow' : 'devices.deny', deviceLine(rule), pointer || at('devices'));
  }
  if (resources.unified && Object.keys(resources.unified).length > 0) {
    problems.push({ pointer: at('unified'), message: 'needs cgroup v2, and this host\'s controllers are on cgroup v1' });
  }
  return { writes, problems };
}

export function v2Writes(resources: LinuxResources): CompiledResources {
  const writes: CgroupWrite[] = [];
  const problems: Diagnostic[] = [];
  const write = (file: string, value: string | Integer64, pointer: string, fallback?: CgroupWrite['fallback']) =>
    writes.push({ controller: file.split('.')[0]!, file, value: String(value), pointer, ...(fallback ? { fallback } : {}) });
  const v1Only = (pointer: string, what: string) => problems.push({ pointer, message: `${what} exists only on cgroup v1` });
  const { memory, cpu, pids, blockIO } = resources;

  if (memory) {
    if (memory.limit !== undefined) write('memory.max', maxOf(memory.limit), at('memory', 'limit'));
    if (memory.reservation !== undefined) write('memory.low', maxOf(memory.reservation), at('memory', 'reservation'));
    if (memory.swap !== undefined) {
      const swap = swapForV2(memory.swap, memory.limit);
      if (typeof swap === 'string' && swap.startsWith('!')) problems.push({ pointer: at('memory', 'swap'), message: swap.slice(1) });
      else if (swap !== undefined) write('memory.swap.max', swap, at('memory', 'swap'));
    }
    if (memory.kernel !== undefined) v1Only(at('memory', 'kernel'), 'a kernel memory limit');
    if (memory.kernelTCP !== undefined) v1Only(at('memory', 'kernelTCP'), 'a kernel TCP memory limit');
    if (memory.swappiness !== undefined) v1Only(at('memory', 'swappiness'), 'per-cgroup swappiness');
    if (memory.disableOOMKiller) v1Only(at('memory', 'disableOOMKiller'), 'disabling the OOM killer');
    if (memory.useHierarchy === false) v1Only(at('memory', 'useHierarchy'), 'memory accounting that is not hierarchical');
  }
  if (cpu) {
    if (cpu.shares !== undefined && cpu.shares !== 0) write('cpu.weight', sharesToWeight(cpu.shares), at('cpu', 'shares'));
    if ((cpu.quota !== undefined && cpu.quota !== 0) || (cpu.period !== undefined && cpu.period !== 0)) {
      const quota = cpu.quota === undefined || cpu.quota <= 0 ? 'max' : String(cpu.quota);
      write('cpu.max', `${quota} ${cpu.period || 100000}`, at('cpu', cpu.quota !== undefined ? 'quota' : 'period'));
    }
    if (cpu.burst !== undefined) write('cpu.max.burst', cpu.burst, at('cpu', 'burst'));
    if (cpu.realtimePeriod) v1Only(at('cpu', 'realtimePeriod'), 'realtime CPU scheduling for a cgroup');
    if (cpu.realtimeRuntime) v1Only(at('cpu', 'realtimeRuntime'), 'realtime CPU scheduling for a cgroup');
    if (cpu.idle !== undefined) write('cpu.idle', cpu.idle, at('cpu', 'idle'));
    if (cpu.cpus) write('cpuset.cpus', cpu.cpus, at('cpu', 'cpus'));
    if (cpu.mems) write('cpuset.mems', cpu.mems, at('cpu', 'mems'));
  }
  if (pids?.limit !== undefined && pids.limit !== 0) write('pids.max', pids.limit > 0 ? pids.limit : 'max', at('pids', 'limit'));
  if (blockIO) {
    // BFQ takes blkio's weights as they are; without it io.weight has its own range (runc's conversion).
    if (blockIO.weight !== undefined && blockIO.weight !== 0) {
      write('io.bfq.weight', blockIO.weight, at('blockIO', 'weight'), { file: 'io.weight', value: String(blkioToIoWeight(blockIO.weight)) });
    }
    if (blockIO.leafWeight !== undefined && blockIO.leafWeight !== 0) v1Only(at('blockIO', 'leafWeight'), 'a leaf weight');
    (blockIO.weightDevice ?? []).forEach((d, i) => {
      if (d.weight !== undefined) {
        const line = (w: number) => `${d.major}:${d.minor} ${w}`;
        write('io.bfq.weight', line(d.weight), at('blockIO', 'weightDevice', i, 'weight'), { file: 'io.weight', value: line(blkioToIoWeight(d.weight)) });
      }
      if (d.leafWeight !== undefined) v1Only(at('blockIO', 'weightDevice', i, 'leafWeight'), 'a leaf weight');
    });
    const keys: [keyof typeof blockIO, string][] = [
      ['throttleReadBpsDevice', 'rbps'],
      ['throttleWriteBpsDevice', 'wbps'],
      ['throttleReadIOPSDevice', 'riops'],
      ['throttleWriteIOPSDevice', 'wiops'],
    ];
    for (const [field, key] of keys) {
      ((blockIO[field] as ThrottleDevice[] | undefined) ?? []).forEach((d, i) => write('io.max', `${d.major}:${d.minor} ${key}=${d.rate === 0 ? 'max' : d.rate}`, at('blockIO', field, i)));
    }
  }
  (resources.hugepageLimits ?? []).forEach((h, i) => write(`hugetlb.${h.pageSize}.max`, h.limit, at('hugepageLimits', i)));
  if (resources.network?.classID !== undefined) v1Only(at('network', 'classID'), 'a network class id (net_cls)');
  if ((resources.network?.priorities ?? []).length > 0) problems.push({ pointer: at('network', 'priorities'), message: 'network priorities (net_prio) exist only on cgroup v1' });
  for (const [device, limits] of Object.entries(resources.rdma ?? {})) write('rdma.max', rdmaLine(device, limits), at('rdma', device));
  for (const [key, value] of Object.entries(resources.unified ?? {})) {
    if (key.includes('/') || key.startsWith('.') || !key.includes('.')) problems.push({ pointer: at('unified', key), message: 'must name a file of the cgroup, such as memory.high' });
    else if (membershipFiles.has(key)) problems.push({ pointer: at('unified', key), message: `${key} moves processes or changes the cgroup itself, which is berth's to do, not a limit` });
    else write(key, value, at('unified', key));
  }
  return { writes, problems };
}

/** Core cgroup files that are not limits: writing them would move host processes in, kill or freeze. */
const membershipFiles = new Set(['cgroup.procs', 'cgroup.threads', 'cgroup.kill', 'cgroup.freeze', 'cgroup.subtree_control', 'cgroup.type']);

/** runc's blkio weight [10, 1000] → io.weight [1, 10000]. */
export function blkioToIoWeight(weight: number): number {
  return Math.floor(1 + ((weight - 10) * 9999) / 990);
}

/** runc's shares → cpu.weight: [2, 262144] onto [1, 10000] (beyond, what the kernel then refuses, exactly). */
export function sharesToWeight(shares: Integer64): Integer64 {
  if (typeof shares === 'bigint') return 1n + ((shares - 2n) * 9999n) / 262142n;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/**
 * config's swap is memory+swap (v1's memsw); v2 limits swap alone: swap − limit (runc's
 * ConvertMemorySwapToCgroupV2Value). "!" marks a problem.
 */
export function swapForV2(swap: Integer64, limit: Integer64 | undefined): string | undefined {
  if (swap === -1) return 'max';
  if (swap === 0) return limit === -1 ? 'max' : undefined;
  if (limit === undefined || limit <= 0) return '!cannot limit swap without a memory limit (on cgroup v2 the limit is memory+swap minus memory)';
  if (swap < limit) return `!memory+swap (${swap}) must be at least the memory limit (${limit})`;
  return String(BigInt(swap) - BigInt(limit));
}

function maxOf(n: Integer64): string {
  return n < 0 ? 'max' : String(n);
}

function rdmaLine(device: string, limits: { hcaHandles?: number; hcaObjects?: number }): string {
  const parts = [device];
  if (limits.hcaHandles !== undefined) parts.push(`hca_handle=${limits.hcaHandles}`);
  if (limits.hcaObjects !== undefined) parts.push(`hca_object=${limits.hcaObjects}`);
  return parts.join(' ');
}
