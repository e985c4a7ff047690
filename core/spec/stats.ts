/**
 * What `events` prints: runc's event and stats JSON (libcontainer's types/events.go), field
 * names and all, so tools that read runc's events read berth's. Types only.
 */

export interface ContainerEvent {
  type: 'stats' | 'oom';
  id: string;
  data?: ContainerStats;
}

export interface MemoryEntry {
  limit: number;
  usage?: number;
  max?: number;
  failcnt: number;
}

export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}

export interface ContainerStats {
  cpu?: {
    usage: { total?: number; percpu?: number[]; percpu_kernel?: number[]; percpu_user?: number[]; kernel: number; user: number };
    throttling?: { periods?: number; throttled_periods?: number; throttled_time?: number };
  };
  cpuset?: { cpus?: number[]; mems?: number[] };
  memory?: {
    cache?: number;
    usage?: MemoryEntry;
    swap?: MemoryEntry;
    kernel?: MemoryEntry;
    kernelTCP?: MemoryEntry;
    raw?: Record<string, number>;
  };
  pids?: { current?: number; limit?: number };
  blkio?: {
    ioServiceBytesRecursive?: BlkioEntry[];
    ioServicedRecursive?: BlkioEntry[];
    ioQueueRecursive?: BlkioEntry[];
    ioServiceTimeRecursive?: BlkioEntry[];
    ioWaitTimeRecursive?: BlkioEntry[];
    ioMergedRecursive?: BlkioEntry[];
    ioTimeRecursive?: BlkioEntry[];
    sectorsRecursive?: BlkioEntry[];
  };
  hugetlb?: Record<string, { usage?: number; max?: number; failcnt: number }>;
}
