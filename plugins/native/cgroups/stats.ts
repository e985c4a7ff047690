import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BlkioEntry, ContainerStats, MemoryEntry } from '../../../core/plugin-api.js';
import { readTrimmed, type CgroupPaths } from './cgroup-manager.js';

/**
 * `events` figures from the cgroup files, in runc's shape and units (CPU in nanoseconds). Only
 * what the host's hierarchies hold is reported.
 */
export function readStats(paths: CgroupPaths): ContainerStats {
  return paths.mode === 'v2' ? v2Stats(paths.v2!) : v1Stats(paths);
}

/** The OOM kills so far (v1 memory.oom_control, v2 memory.events): events reports each increase. */
export function oomKillCount(paths: CgroupPaths): number | undefined {
  if (paths.mode === 'v2') return keyed(read(paths.v2!, 'memory.events')).oom_kill;
  const memory = paths.v1.find((h) => h.controllers.includes('memory'));
  return memory ? keyed(read(memory.dir, 'memory.oom_control')).oom_kill : undefined;
}

function v1Stats(paths: CgroupPaths): ContainerStats {
  const dirOf = (controller: string) => paths.v1.find((h) => h.controllers.includes(controller))?.dir;
  const stats: ContainerStats = {};
  const cpuacct = dirOf('cpuacct');
  const cpu = dirOf('cpu');
  if (cpuacct || cpu) {
    const ticks = keyed(cpuacct ? read(cpuacct, 'cpuacct.stat') : undefined);
    const nsPerTick = 1e9 / 100; // USER_HZ
    const throttling = keyed(cpu ? read(cpu, 'cpu.stat') : undefined);
    stats.cpu = {
      usage: {
        total: num(cpuacct && read(cpuacct, 'cpuacct.usage')),
        percpu: numbers(cpuacct && read(cpuacct, 'cpuacct.usage_percpu')),
        kernel: (ticks.system ?? 0) * nsPerTick,
        user: (ticks.user ?? 0) * nsPerTick,
      },
      throttling: { periods: throttling.nr_periods ?? 0, throttled_periods: throttling.nr_throttled ?? 0, throttled_time: throttling.throttled_time ?? 0 },
    };
  }
  const memory = dirOf('memory');
  if (memory) {
    const raw = keyed(read(memory, 'memory.stat'));
    const entry = (prefix: string): MemoryEntry => ({
      limit: num(read(memory, `${prefix}limit_in_bytes`)),
      usage: num(read(memory, `${prefix}usage_in_bytes`)),
      max: num(read(memory, `${prefix}max_usage_in_bytes`)),
      failcnt: num(read(memory, `${prefix}failcnt`)),
    });
    stats.memory = {
      cache: raw.total_cache ?? raw.cache ?? 0,
      usage: entry('memory.'),
      ...(existsSync(join(memory, 'memory.memsw.usage_in_bytes')) ? { swap: entry('memory.memsw.') } : {}),
      ...(existsSync(join(memory, 'memory.kmem.usage_in_bytes')) ? { kernel: entry('memory.kmem.') } : {}),
      ...(existsSync(join(memory, 'memory.kmem.tcp.usage_in_bytes')) ? { kernelTCP: entry('memory.kmem.tcp.') } : {}),
      raw,
    };
  }
  const pids = dirOf('pids');
  if (pids) stats.pids = { current: num(read(pids, 'pids.current')), limit: limitOf(read(pids, 'pids.max')) };
  const blkio = dirOf('blkio');
  if (blkio) {
    stats.blkio = {
      ioServiceBytesRecursive: blkioEntries(read(blkio, 'blkio.throttle.io_service_bytes_recursive')),
      ioServicedRecursive: blkioEntries(read(blkio, 'blkio.throttle.io_serviced_recursive')),
    };
  }
  const hugetlb = dirOf('hugetlb');
  if (hugetlb) {
    stats.hugetlb = {};
    for (const size of pageSizes(hugetlb, /^hugetlb\.(.+)\.limit_in_bytes$/)) {
      stats.hugetlb[size] = { usage: num(read(hugetlb, `hugetlb.${size}.usage_in_bytes`)), max: num(read(hugetlb, `hugetlb.${size}.max_usage_in_bytes`)), failcnt: num(read(hugetlb, `hugetlb.${size}.failcnt`)) };
    }
  }
  return stats;
}

function v2Stats(dir: string): ContainerStats {
  const stats: ContainerStats = {};
  const cpu = keyed(read(dir, 'cpu.stat'));
  stats.cpu = {
    usage: { total: (cpu.usage_usec ?? 0) * 1000, kernel: (cpu.system_usec ?? 0) * 1000, user: (cpu.user_usec ?? 0) * 1000 },
    throttling: { periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: (cpu.throttled_usec ?? 0) * 1000 },
  };
  if (existsSync(join(dir, 'memory.current'))) {
    const raw = keyed(read(dir, 'memory.stat'));
    const events = keyed(read(dir, 'memory.events'));
    stats.memory = {
      cache: raw.file ?? 0,
      usage: { usage: num(read(dir, 'memory.current')), limit: limitOf(read(dir, 'memory.max')), max: num(read(dir, 'memory.peak')), failcnt: events.max ?? 0 },
      ...(existsSync(join(dir, 'memory.swap.current')) ? { swap: { usage: num(read(dir, 'memory.swap.current')), limit: limitOf(read(dir, 'memory.swap.max')), failcnt: 0 } } : {}),
      raw,
    };
  }
  if (existsSync(join(dir, 'pids.current'))) stats.pids = { current: num(read(dir, 'pids.current')), limit: limitOf(read(dir, 'pids.max')) };
  if (existsSync(join(dir, 'io.stat'))) {
    const bytes: BlkioEntry[] = [];
    const ops: BlkioEntry[] = [];
    for (const line of (read(dir, 'io.stat') ?? '').split('\n').filter(Boolean)) {
      const [device, ...pairs] = line.split(' ');
      const [major, minor] = device!.split(':').map(Number);
      const values = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
      bytes.push({ major, minor, op: 'Read', value: values.rbytes ?? 0 }, { major, minor, op: 'Write', value: values.wbytes ?? 0 });
      ops.push({ major, minor, op: 'Read', value: values.rios ?? 0 }, { major, minor, op: 'Write', value: values.wios ?? 0 });
    }
    stats.blkio = { ioServiceBytesRecursive: bytes, ioServicedRecursive: ops };
  }
  const sizes = pageSizes(dir, /^hugetlb\.(.+)\.max$/);
  if (sizes.length > 0) {
    stats.hugetlb = {};
    for (const size of sizes) stats.hugetlb[size] = { usage: num(read(dir, `hugetlb.${size}.current`)), max: limitOf(read(dir, `hugetlb.${size}.max`)), failcnt: keyed(read(dir, `hugetlb.${size}.events`)).max ?? 0 };
  }
  return stats;
}

function read(dir: string, file: string): string | undefined {
  return readTrimmed(join(dir, file));
}

/** "key value" lines → numbers. */
export function keyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

function num(text: string | undefined | false): number {
  const n = Number(text || 0);
  return Number.isFinite(n) ? n : 0;
}

function numbers(text: string | undefined | false): number[] {
  return (text || '').split(/\s+/).filter(Boolean).map(Number);
}

/** "max" (v2) means no limit: runc reports 0 for pids and the largest uint64 for memory; berth reports 0 for both. */
function limitOf(text: string | undefined): number {
  return text === 'max' ? 0 : num(text);
}

/** "8:0 Read 4096" lines (v1 blkio) → entries; the Total line is left out. */
export function blkioEntries(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [device, op, value] = line.trim().split(/\s+/);
    if (!device || !op || value === undefined || !device.includes(':')) continue;
    const [major, minor] = device.split(':').map(Number);
    out.push({ major, minor, op, value: Number(value) });
  }
  return out;
}

function pageSizes(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir).map((f) => pattern.exec(f)?.[1]).filter((s): s is string => s !== undefined && !s.includes('.'));
  } catch {
    return [];
  }
}
