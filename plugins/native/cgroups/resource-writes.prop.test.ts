import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Integer64, LinuxResources } from '../../../core/plugin-api.js';
import { stringifyExactJson } from '../../../core/spec/exact-json.js';
import { parseConfigText } from '../../../core/spec/validate-config.js';
import { v1Writes, v2Writes } from './resource-writes.js';

/** As config.json's text gives them: a number while safe, a bigint beyond. */
const exact = (n: bigint): Integer64 => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
const edges64 = [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n - 1n];
const int64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(-(2n ** 63n), -1n, ...edges64));
const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(...edges64, 2n ** 63n, 2n ** 64n - 1n));
/** Through the JSON text and berth's config reader, so the values are what a real config.json yields. */
const read = (resources: unknown) => (parseConfigText(stringifyExactJson({ linux: { resources } })).document as { linux: { resources: LinuxResources } }).linux.resources;
const valueOf = (writes: { file: string; value: string }[], file: string) => writes.filter((w) => w.file === file).map((w) => w.value);

describe('resource writes keep 64-bit values exact, as the digits the cgroup file gets', () => {
  it('memory, pids, hugepages and cpu on cgroup v1', () => {
    fc.assert(
      fc.property(int64, int64, int64, int64, int64, uint64, fc.tuple(uint64, int64, uint64, uint64, int64, uint64), (limit, reservation, swap, kernel, pids, huge, [shares, quota, period, burst, realtimeRuntime, realtimePeriod]) => {
        const resources = read({
          memory: { limit, reservation, swap, kernel, kernelTCP: kernel },
          pids: { limit: pids },
          hugepageLimits: [{ pageSize: '2MB', limit: huge }],
          cpu: { shares, quota, period, burst, realtimeRuntime, realtimePeriod },
        });
        const { writes } = v1Writes(resources);
        expect(valueOf(writes, 'memory.limit_in_bytes')).toEqual([String(limit)]);
        expect(valueOf(writes, 'memory.soft_limit_in_bytes')).toEqual([String(reservation)]);
        expect(valueOf(writes, 'memory.memsw.limit_in_bytes')).toEqual([String(swap)]);
        expect(valueOf(writes, 'memory.kmem.limit_in_bytes')).toEqual([String(kernel)]);
        expect(valueOf(writes, 'memory.kmem.tcp.limit_in_bytes')).toEqual([String(kernel)]);
        // As runc: 0 leaves the limit alone, a negative one lifts it.
        expect(valueOf(writes, 'pids.max')).toEqual(pids === 0n ? [] : [pids > 0n ? String(pids) : 'max']);
        expect(valueOf(writes, 'hugetlb.2MB.limit_in_bytes')).toEqual([String(huge)]);
        const unlessZero = (n: bigint) => (n === 0n ? [] : [String(n)]);
        expect(valueOf(writes, 'cpu.shares')).toEqual(unlessZero(shares));
        expect(valueOf(writes, 'cpu.cfs_quota_us')).toEqual(unlessZero(quota));
        expect(valueOf(writes, 'cpu.cfs_period_us')).toEqual(unlessZero(period));
        expect(valueOf(writes, 'cpu.cfs_burst_us')).toEqual([String(burst)]);
        expect(valueOf(writes, 'cpu.rt_runtime_us')).toEqual(unlessZero(realtimeRuntime));
        expect(valueOf(writes, 'cpu.rt_period_us')).toEqual(unlessZero(realtimePeriod));
      }),
      { numRuns: 300 },
    );
  });

  it('memory (swap as memory+swap minus memory, exactly) and cpu.max on cgroup v2', () => {
    fc.assert(
      fc.property(int64, int64, int64, uint64, (limit, reservation, swap, period) => {
        const quota = limit; // any int64
        const resources = read({ memory: { limit, reservation, swap }, cpu: { quota, period } });
        const { writes, problems } = v2Writes(resources);
        const maxOf = (n: bigint) => (n < 0n ? 'max' : String(n));
        expect(valueOf(writes, 'memory.max')).toEqual([maxOf(limit)]);
        expect(valueOf(writes, 'memory.low')).toEqual([maxOf(reservation)]);
        const swapWrite = valueOf(writes, 'memory.swap.max');
        if (swap === -1n) expect(swapWrite).toEqual(['max']);
        else if (swap === 0n) expect(swapWrite).toEqual(limit === -1n ? ['max'] : []);
        else if (limit <= 0n || swap < limit) expect(problems.map((p) => p.pointer)).toContain('/linux/resources/memory/swap');
        else expect(swapWrite).toEqual([String(swap - limit)]);
        if (quota !== 0n || period !== 0n) expect(valueOf(writes, 'cpu.max')).toEqual([`${quota <= 0n ? 'max' : quota} ${period === 0n ? 100000 : period}`]);
      }),
      { numRuns: 300 },
    );
  });

  it('block I/O throttles on v1 and v2', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 4095n }), fc.bigInt({ min: 0n, max: 2n ** 20n - 1n }), uint64, (major, minor, rate) => {
        const resources = read({ blockIO: { throttleReadBpsDevice: [{ major, minor, rate }] } });
        expect(valueOf(v1Writes(resources).writes, 'blkio.throttle.read_bps_device')).toEqual([`${major}:${minor} ${rate}`]);
        expect(valueOf(v2Writes(resources).writes, 'io.max')).toEqual([`${major}:${minor} rbps=${rate === 0n ? 'max' : rate}`]);
      }),
      { numRuns: 200 },
    );
  });

  it('writes memory limit 9223372036854775807 as those digits, not as the double 9223372036854776000', () => {
    const resources = read({ memory: { limit: 2n ** 63n - 1n } });
    expect(valueOf(v1Writes(resources).writes, 'memory.limit_in_bytes')).toEqual(['9223372036854775807']);
    expect(valueOf(v2Writes(resources).writes, 'memory.max')).toEqual(['9223372036854775807']);
  });
});
