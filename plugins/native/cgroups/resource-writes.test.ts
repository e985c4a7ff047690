import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LinuxResources } from '../../../core/plugin-api.js';
import { blkioToIoWeight, deviceLine, effectiveDeviceRules, sharesToWeight, swapForV2, v1Writes, v2Writes } from './resource-writes.js';

/** Writes as [file, value, pointer] (and the fallback file's, where there is one): what a reviewer compares with runc. */
const files = (resources: LinuxResources, version: 'v1' | 'v2') => {
  const { writes, problems } = version === 'v1' ? v1Writes(resources) : v2Writes(resources);
  return { writes: writes.map((w) => [w.file, w.value, w.pointer, ...(w.fallback ? [w.fallback.file, w.fallback.value] : [])]), problems };
};
const at = (path: string) => `/linux/resources/${path}`;

describe('v2Writes', () => {
  it('memory: limit, reservation and swap (memory+swap on the config side, swap alone on v2)', () => {
    expect(files({ memory: { limit: 100_000_000, reservation: 50_000_000, swap: 300_000_000 } }, 'v2')).toEqual({
      writes: [
        ['memory.max', '100000000', at('memory/limit')],
        ['memory.low', '50000000', at('memory/reservation')],
        ['memory.swap.max', '200000000', at('memory/swap')],
      ],
      problems: [],
    });
    expect(files({ memory: { limit: -1, swap: -1 } }, 'v2').writes).toEqual([
      ['memory.max', 'max', at('memory/limit')],
      ['memory.swap.max', 'max', at('memory/swap')],
    ]);
  });

  it('cpu: shares as cpu.weight, quota and period as one "quota period" cpu.max line, the rest as they are', () => {
    expect(files({ cpu: { shares: 1024, quota: 50_000, period: 200_000, burst: 1000, idle: 1, cpus: '0-1', mems: '0' } }, 'v2')).toEqual({
      writes: [
        ['cpu.weight', '39', at('cpu/shares')],
        ['cpu.max', '50000 200000', at('cpu/quota')],
        ['cpu.max.burst', '1000', at('cpu/burst')],
        ['cpu.idle', '1', at('cpu/idle')],
        ['cpuset.cpus', '0-1', at('cpu/cpus')],
        ['cpuset.mems', '0', at('cpu/mems')],
      ],
      problems: [],
    });
    expect(files({ cpu: { quota: 20_000 } }, 'v2').writes).toEqual([['cpu.max', '20000 100000', at('cpu/quota')]]);
    expect(files({ cpu: { period: 50_000 } }, 'v2').writes).toEqual([['cpu.max', 'max 50000', at('cpu/period')]]);
    expect(files({ cpu: { quota: -1, period: 100_000 } }, 'v2').writes).toEqual([['cpu.max', 'max 100000', at('cpu/quota')]]);
    // Zero means unset, as in runc.
    expect(files({ cpu: { shares: 0, quota: 0, period: 0 } }, 'v2').writes).toEqual([]);
  });

  it('pids: a positive limit as it is, a negative one as "max", 0 left alone (as runc)', () => {
    expect(files({ pids: { limit: 100 } }, 'v2').writes).toEqual([['pids.max', '100', at('pids/limit')]]);
    expect(files({ pids: { limit: -1 } }, 'v2').writes).toEqual([['pids.max', 'max', at('pids/limit')]]);
    expect(files({ pids: { limit: 0 } }, 'v2').writes).toEqual([]);
    expect(files({ pids: { limit: 0 } }, 'v1').writes).toEqual([]);
  });

  it('unified: core files that move, kill or freeze processes are refused', () => {
    for (const key of ['cgroup.procs', 'cgroup.threads', 'cgroup.kill', 'cgroup.freeze', 'cgroup.subtree_control', 'cgroup.type']) {
      const compiled = v2Writes({ unified: { [key]: '1' } });
      expect(compiled.writes).toEqual([]);
      expect(compiled.problems).toEqual([{ pointer: `/linux/resources/unified/${key}`, message: `${key} moves processes or changes the cgroup itself, which is berth's to do, not a limit` }]);
    }
    expect(v2Writes({ unified: { 'cgroup.max.descendants': '3' } }).problems).toEqual([]);
  });

  it('blockIO: weights to io.bfq.weight, or converted to io.weight without BFQ; throttles as io.max keys', () => {
    const resources: LinuxResources = {
      blockIO: {
        weight: 500,
        weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1_048_576 }],
        throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 0 }],
        throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 200 }],
      },
    };
    expect(files(resources, 'v2')).toEqual({
      writes: [
        ['io.bfq.weight', '500', at('blockIO/weight'), 'io.weight', '4950'],
        ['io.bfq.weight', '8:0 1000', at('blockIO/weightDevice/0/weight'), 'io.weight', '8:0 10000'],
        ['io.max', '8:0 rbps=1048576', at('blockIO/throttleReadBpsDevice/0')],
        ['io.max', '8:0 wbps=max', at('blockIO/throttleWriteBpsDevice/0')],
        ['io.max', '8:16 riops=100', at('blockIO/throttleReadIOPSDevice/0')],
        ['io.max', '8:16 wiops=200', at('blockIO/throttleWriteIOPSDevice/0')],
      ],
      problems: [],
    });
  });

  it('hugepage limits and rdma', () => {
    expect(files({ hugepageLimits: [{ pageSize: '2MB', limit: 1 << 30 }], rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } } }, 'v2').writes).toEqual([
      ['hugetlb.2MB.max', String(1 << 30), at('hugepageLimits/0')],
      ['rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000', at('rdma/mlx5_1')],
    ]);
  });

  it('unified: each key is a file of the cgroup, written as given, owned by the controller its name starts with', () => {
    const { writes, problems } = v2Writes({ unified: { 'memory.high': '1G', 'cgroup.max.depth': '3' } });
    expect(problems).toEqual([]);
    expect(writes).toEqual([
      { controller: 'memory', file: 'memory.high', value: '1G', pointer: at('unified/memory.high') },
      { controller: 'cgroup', file: 'cgroup.max.depth', value: '3', pointer: at('unified/cgroup.max.depth') },
    ]);
  });

  it('unified: a key that is not a file name of the cgroup is refused at its pointer', () => {
    expect(files({ unified: { '../memory.max': '1', '.hidden': '1', nodot: '1', 'memory.high': '1G' } }, 'v2')).toEqual({
      writes: [['memory.high', '1G', at('unified/memory.high')]],
      problems: [
        { pointer: at('unified/..~1memory.max'), message: 'must name a file of the cgroup, such as memory.high' },
        { pointer: at('unified/.hidden'), message: 'must name a file of the cgroup, such as memory.high' },
        { pointer: at('unified/nodot'), message: 'must name a file of the cgroup, such as memory.high' },
      ],
    });
  });

  it('refuses every field that exists only on cgroup v1, each at its own pointer', () => {
    const v1Only: [LinuxResources, string, string][] = [
      [{ memory: { kernel: 1 } }, 'memory/kernel', 'a kernel memory limit exists only on cgroup v1'],
      [{ memory: { kernelTCP: 1 } }, 'memory/kernelTCP', 'a kernel TCP memory limit exists only on cgroup v1'],
      [{ memory: { swappiness: 10 } }, 'memory/swappiness', 'per-cgroup swappiness exists only on cgroup v1'],
      [{ memory: { disableOOMKiller: true } }, 'memory/disableOOMKiller', 'disabling the OOM killer exists only on cgroup v1'],
      [{ memory: { useHierarchy: false } }, 'memory/useHierarchy', 'memory accounting that is not hierarchical exists only on cgroup v1'],
      [{ cpu: { realtimePeriod: 1000 } }, 'cpu/realtimePeriod', 'realtime CPU scheduling for a cgroup exists only on cgroup v1'],
      [{ cpu: { realtimeRuntime: 1000 } }, 'cpu/realtimeRuntime', 'realtime CPU scheduling for a cgroup exists only on cgroup v1'],
      [{ blockIO: { leafWeight: 100 } }, 'blockIO/leafWeight', 'a leaf weight exists only on cgroup v1'],
      [{ blockIO: { weightDevice: [{ major: 8, minor: 0, leafWeight: 100 }] } }, 'blockIO/weightDevice/0/leafWeight', 'a leaf weight exists only on cgroup v1'],
      [{ network: { classID: 7 } }, 'network/classID', 'a network class id (net_cls) exists only on cgroup v1'],
      [{ network: { priorities: [{ name: 'eth0', priority: 5 }] } }, 'network/priorities', 'network priorities (net_prio) exist only on cgroup v1'],
    ];
    for (const [resources, pointer, message] of v1Only) expect(files(resources, 'v2'), pointer).toEqual({ writes: [], problems: [{ pointer: at(pointer), message }] });
    // All at once: every one reported, none hiding another.
    const all = v1Only.reduce<LinuxResources>((merged, [r]) => mergeResources(merged, r), {});
    expect(v2Writes(all).problems.map((p) => p.pointer)).toEqual(v1Only.map(([, pointer]) => at(pointer)));
  });

  it('accepts the v1 fields whose v1 default v2 already has', () => {
    expect(files({ memory: { disableOOMKiller: false, useHierarchy: true } }, 'v2')).toEqual({ writes: [], problems: [] });
  });
});

describe('v1Writes', () => {
  it('every resource to its v1 controller file, in config units', () => {
    const resources: LinuxResources = {
      memory: { limit: 100, swap: 200, reservation: 50, kernel: 10, kernelTCP: 5, swappiness: 60, disableOOMKiller: true, useHierarchy: true },
      cpu: { shares: 1024, period: 100_000, quota: 50_000, burst: 10, realtimePeriod: 1_000_000, realtimeRuntime: 950_000, idle: 0, cpus: '0', mems: '0' },
      pids: { limit: -1 },
      blockIO: { weight: 500, leafWeight: 300, weightDevice: [{ major: 8, minor: 0, weight: 600, leafWeight: 200 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 4096 }],
      network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
      rdma: { mlx5_1: { hcaHandles: 3 } },
    };
    expect(files(resources, 'v1')).toEqual({
      writes: [
        ['memory.limit_in_bytes', '100', at('memory/limit')],
        ['memory.memsw.limit_in_bytes', '200', at('memory/swap')],
        ['memory.soft_limit_in_bytes', '50', at('memory/reservation')],
        ['memory.kmem.limit_in_bytes', '10', at('memory/kernel')],
        ['memory.kmem.tcp.limit_in_bytes', '5', at('memory/kernelTCP')],
        ['memory.swappiness', '60', at('memory/swappiness')],
        ['memory.oom_control', '1', at('memory/disableOOMKiller')],
        ['memory.use_hierarchy', '1', at('memory/useHierarchy')],
        ['cpu.shares', '1024', at('cpu/shares')],
        ['cpu.cfs_period_us', '100000', at('cpu/period')],
        ['cpu.cfs_quota_us', '50000', at('cpu/quota')],
        ['cpu.cfs_burst_us', '10', at('cpu/burst')],
        ['cpu.rt_period_us', '1000000', at('cpu/realtimePeriod')],
        ['cpu.rt_runtime_us', '950000', at('cpu/realtimeRuntime')],
        ['cpu.idle', '0', at('cpu/idle')],
        ['cpuset.cpus', '0', at('cpu/cpus')],
        ['cpuset.mems', '0', at('cpu/mems')],
        ['pids.max', 'max', at('pids/limit')],
        ['blkio.weight', '500', at('blockIO/weight'), 'blkio.bfq.weight', '500'],
        ['blkio.leaf_weight', '300', at('blockIO/leafWeight')],
        ['blkio.weight_device', '8:0 600', at('blockIO/weightDevice/0/weight'), 'blkio.bfq.weight_device', '8:0 600'],
        ['blkio.leaf_weight_device', '8:0 200', at('blockIO/weightDevice/0/leafWeight')],
        ['blkio.throttle.read_bps_device', '8:0 1000', at('blockIO/throttleReadBpsDevice/0')],
        ['hugetlb.2MB.limit_in_bytes', '4096', at('hugepageLimits/0')],
        ['net_cls.classid', String(0x100001), at('network/classID')],
        ['net_prio.ifpriomap', 'eth0 5', at('network/priorities/0')],
        ['rdma.max', 'mlx5_1 hca_handle=3', at('rdma/mlx5_1')],
      ],
      problems: [],
    });
  });

  it('the controller of each write picks the hierarchy: cpuset for cpus and mems, the file\'s prefix otherwise', () => {
    const { writes } = v1Writes({ cpu: { shares: 2, cpus: '0' }, network: { classID: 1 } });
    expect(writes.map((w) => [w.controller, w.file])).toEqual([
      ['cpu', 'cpu.shares'],
      ['cpuset', 'cpuset.cpus'],
      ['net_cls', 'net_cls.classid'],
    ]);
  });

  it('device rules as devices.allow and devices.deny lines; berth\'s own always-allowed ones point at the devices list', () => {
    const rules = effectiveDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 8, access: 'r' }], [{ type: 'u', major: 4, minor: 64 }, { type: 'p' }]);
    const { writes } = v1Writes({}, rules);
    expect(writes[0]).toEqual({ controller: 'devices', file: 'devices.deny', value: 'a *:* rwm', pointer: at('devices/0') });
    expect(writes[1]).toEqual({ controller: 'devices', file: 'devices.allow', value: 'b 8:* r', pointer: at('devices/1') });
    expect(writes[2]).toEqual({ controller: 'devices', file: 'devices.allow', value: 'c *:* m', pointer: at('devices') });
    // linux.devices come last: an unbuffered "u" device is a char device, a fifo needs no rule.
    expect(writes.at(-1)).toEqual({ controller: 'devices', file: 'devices.allow', value: 'c 4:64 rwm', pointer: '/linux/devices/0' });
    expect(writes).toHaveLength(2 + 11 + 1);
  });

  it('refuses unified, which needs cgroup v2', () => {
    expect(v1Writes({ unified: { 'memory.high': '1G' } }).problems).toEqual([{ pointer: at('unified'), message: 'needs cgroup v2, and this host\'s controllers are on cgroup v1' }]);
  });
});

describe('deviceLine', () => {
  it('spells a rule as v1 does: absent or negative numbers as *, absent type as a, absent access as rwm', () => {
    expect(deviceLine({ allow: true })).toBe('a *:* rwm');
    expect(deviceLine({ allow: true, type: 'c', major: 1, minor: -1, access: 'rw' })).toBe('c 1:* rw');
    expect(deviceLine({ allow: false, type: 'b', major: 8, minor: 0, access: '' })).toBe('b 8:0 rwm');
  });
});

describe('runc\'s v2 conversions', () => {
  /** Every input in [min, max] lands on an integer in [1, 10000], and a larger input never on a smaller weight. */
  const expectOrderedOntoWeights = (convert: (n: number) => number, min: number, max: number) =>
    fc.assert(
      fc.property(fc.integer({ min, max }), fc.integer({ min, max }), (a, b) => {
        for (const w of [convert(a), convert(b)]) expect(Number.isInteger(w) && w >= 1 && w <= 10000).toBe(true);
        if (a <= b) expect(convert(a)).toBeLessThanOrEqual(convert(b));
      }),
    );

  it('sharesToWeight maps shares [2, 262144] onto cpu.weight [1, 10000], keeping order', () => {
    expect([sharesToWeight(2), sharesToWeight(1024), sharesToWeight(262144)]).toEqual([1, 39, 10000]);
    expectOrderedOntoWeights((n) => Number(sharesToWeight(n)), 2, 262144);
  });

  it('blkioToIoWeight maps blkio weights [10, 1000] onto io.weight [1, 10000], keeping order', () => {
    expect([blkioToIoWeight(10), blkioToIoWeight(500), blkioToIoWeight(1000)]).toEqual([1, 4950, 10000]);
    expectOrderedOntoWeights(blkioToIoWeight, 10, 1000);
  });

  it('swapForV2 turns memory+swap into swap alone, and refuses what cannot be expressed', () => {
    expect(swapForV2(-1, 100)).toBe('max');
    expect(swapForV2(0, -1)).toBe('max');
    expect(swapForV2(0, 100)).toBeUndefined();
    expect(swapForV2(100, undefined)).toBe('!cannot limit swap without a memory limit (on cgroup v2 the limit is memory+swap minus memory)');
    expect(swapForV2(100, -1)).toBe('!cannot limit swap without a memory limit (on cgroup v2 the limit is memory+swap minus memory)');
    expect(swapForV2(50, 100)).toBe('!memory+swap (50) must be at least the memory limit (100)');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), (limit, extra) => {
        expect(swapForV2(limit + extra, limit)).toBe(String(extra));
      }),
    );
  });

  it('cpu.max is always "quota period" with quota a positive number or max, and period 100000 when not given', () => {
    const field = fc.option(fc.oneof(fc.constant(-1), fc.constant(0), fc.integer({ min: 1, max: 10_000_000 })), { nil: undefined });
    fc.assert(
      fc.property(field, field, (quota, period) => {
        const write = v2Writes({ cpu: { quota, period } }).writes.find((w) => w.file === 'cpu.max');
        if (!quota && !period) {
          expect(write).toBeUndefined();
          return;
        }
        const [q, p] = write!.value.split(' ');
        expect(q).toBe(quota !== undefined && quota > 0 ? String(quota) : 'max');
        expect(p).toBe(String(period || 100_000));
      }),
    );
  });
});

function mergeResources(a: LinuxResources, b: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = { ...((a as Record<string, object>)[key] ?? {}), ...value };
  return out as LinuxResources;
}
