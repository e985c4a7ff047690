/**
 * linux.resources of config.json (config-linux.md "Control groups"), also what `update -r`
 * reads. Types only. The schema's int64/uint64 fields are `Integer64` (a bigint beyond ±(2^53−1)).
 */
import type { Integer64 } from './config.js';

export interface DeviceRule {
  allow: boolean;
  /** a (all), c, b; absent means all. */
  type?: string;
  major?: Integer64;
  minor?: Integer64;
  /** Some of r, w, m; absent means rwm. */
  access?: string;
}

export interface MemoryResources {
  limit?: Integer64;
  reservation?: Integer64;
  /** Memory plus swap (v1 memsw semantics), -1 for unlimited. */
  swap?: Integer64;
  kernel?: Integer64;
  kernelTCP?: Integer64;
  swappiness?: Integer64;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface CpuResources {
  shares?: Integer64;
  quota?: Integer64;
  burst?: Integer64;
  period?: Integer64;
  realtimeRuntime?: Integer64;
  realtimePeriod?: Integer64;
  cpus?: string;
  mems?: string;
  idle?: Integer64;
}

export interface WeightDevice {
  major: Integer64;
  minor: Integer64;
  weight?: number;
  leafWeight?: number;
}

export interface ThrottleDevice {
  major: Integer64;
  minor: Integer64;
  rate: Integer64;
}

export interface BlockIoResources {
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

export interface LinuxResources {
  devices?: DeviceRule[];
  memory?: MemoryResources;
  cpu?: CpuResources;
  pids?: { limit?: Integer64 };
  blockIO?: BlockIoResources;
  hugepageLimits?: { pageSize: string; limit: Integer64 }[];
  network?: { classID?: number; priorities?: { name: string; priority: number }[] };
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  unified?: Record<string, string>;
}
