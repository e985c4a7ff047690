import { describe, expect, it } from 'vitest';
import type { LinuxResources } from '../spec/resources.js';
import { parseSize, resourcesFromUpdateFlags } from './update-flags.js';

const MiB = 1024 * 1024;

describe('parseSize: runc\'s sizes (go-units RAMInBytes: powers of 1024)', () => {
  it.each([
    ['0', 0],
    ['1024', 1024],
    ['512b', 512],
    ['1k', 1024],
    ['1K', 1024],
    ['2kb', 2048],
    ['64m', 64 * MiB],
    ['64M', 64 * MiB],
    ['64MB', 64 * MiB],
    ['64MiB', 64 * MiB],
    ['64 m', 64 * MiB],
    ['1g', 1024 * MiB],
    ['1.5g', 1536 * MiB],
    ['1.5k', 1536],
    ['0.5m', 512 * 1024],
    ['2t', 2 * 1024 ** 4],
    ['3p', 3 * 1024 ** 5],
    // Beyond 2^53: exact, as a bigint (a double would round it), up to int64's largest.
    ['9p', 9n * 1024n ** 5n],
    ['8191.99999p', 2n ** 63n - 11258999069n], // floor(2^63 - 2^50 × 0.00001)
    ['9223372036854775807', 9223372036854775807n],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'lots', '-1', '-5m', 'm', '1x', '1mm', '1.2.3m', '1e3', ' 1m', '1m ', '1  m', '8192p', '9223372036854775808'])('refuses %j', (text) => {
    // 8192p is 2^63: beyond int64, the type of every size field.
    expect(parseSize(text)).toBeUndefined();
  });
});

describe('resourcesFromUpdateFlags', () => {
  it.each([
    ['memory', '64m', { memory: { limit: 64 * MiB } }],
    ['memory-reservation', '32m', { memory: { reservation: 32 * MiB } }],
    ['memory-swap', '128m', { memory: { swap: 128 * MiB } }],
    ['kernel-memory', '8m', { memory: { kernel: 8 * MiB } }],
    ['kernel-memory-tcp', '4m', { memory: { kernelTCP: 4 * MiB } }],
    ['cpu-shares', '512', { cpu: { shares: 512 } }],
    ['cpu-share', '256', { cpu: { shares: 256 } }],
    ['cpu-quota', '50000', { cpu: { quota: 50000 } }],
    ['cpu-period', '100000', { cpu: { period: 100000 } }],
    ['cpu-burst', '1000', { cpu: { burst: 1000 } }],
    ['cpu-rt-period', '1000000', { cpu: { realtimePeriod: 1000000 } }],
    ['cpu-rt-runtime', '950000', { cpu: { realtimeRuntime: 950000 } }],
    ['cpu-idle', '1', { cpu: { idle: 1 } }],
    ['cpuset-cpus', '0-1,3', { cpu: { cpus: '0-1,3' } }],
    ['cpuset-mems', '0', { cpu: { mems: '0' } }],
    ['pids-limit', '100', { pids: { limit: 100 } }],
    ['blkio-weight', '500', { blockIO: { weight: 500 } }],
  ] as const)('--%s %s sets exactly %j', (flag, value, expected) => {
    expect(resourcesFromUpdateFlags({}, { [flag]: value })).toEqual({ resources: expected, diagnostics: [] });
  });

  it.each(['memory', 'memory-reservation', 'memory-swap', 'kernel-memory', 'kernel-memory-tcp'])('--%s -1 means unlimited (-1)', (flag) => {
    const { resources, diagnostics } = resourcesFromUpdateFlags({}, { [flag]: '-1' });
    expect(diagnostics).toEqual([]);
    expect(Object.values(resources.memory!)).toEqual([-1]);
  });

  it.each([
    ['cpu-quota', { cpu: { quota: -1 } }],
    ['cpu-rt-runtime', { cpu: { realtimeRuntime: -1 } }],
    ['pids-limit', { pids: { limit: -1 } }],
  ] as const)('--%s accepts -1', (flag, expected) => {
    expect(resourcesFromUpdateFlags({}, { [flag]: '-1' }).resources).toEqual(expected);
  });

  it('lays the flags over the -r document, keeping its other fields, without changing it', () => {
    const base: LinuxResources = { memory: { limit: 1, swappiness: 10 }, cpu: { shares: 2 }, unified: { 'io.weight': '100' } };
    const copy = structuredClone(base);
    const { resources } = resourcesFromUpdateFlags(base, { memory: '1g', 'cpu-quota': '20000' });
    expect(resources).toEqual({ memory: { limit: 1024 * MiB, swappiness: 10 }, cpu: { shares: 2, quota: 20000 }, unified: { 'io.weight': '100' } });
    expect(base).toEqual(copy);
  });

  it('reports every wrong value at once, each named by its flag and quoting the value', () => {
    const { diagnostics } = resourcesFromUpdateFlags({}, { memory: 'lots', 'cpu-shares': '-5', 'cpu-quota': '-2', 'pids-limit': '1.5', 'blkio-weight': 'heavy', 'memory-swap': '-2' });
    expect(diagnostics).toEqual([
      { pointer: '--memory', message: 'must be a size in bytes such as 67108864, 64m or 1g (or -1), got "lots"' },
      { pointer: '--memory-swap', message: 'must be a size in bytes such as 67108864, 64m or 1g (or -1), got "-2"' },
      { pointer: '--cpu-shares', message: 'must be a non-negative integer, got "-5"' },
      { pointer: '--cpu-quota', message: 'must be an integer of -1 or more, got "-2"' },
      { pointer: '--pids-limit', message: 'must be an integer of -1 or more, got "1.5"' },
      { pointer: '--blkio-weight', message: 'must be a non-negative integer, got "heavy"' },
    ]);
  });

  it('refuses the Intel RDT flags by name', () => {
    expect(resourcesFromUpdateFlags({}, { 'l3-cache-schema': 'L3:0=f', 'mem-bw-schema': 'MB:0=50' }).diagnostics).toEqual([
      { pointer: '--l3-cache-schema', message: 'Intel RDT is not supported by berth' },
      { pointer: '--mem-bw-schema', message: 'Intel RDT is not supported by berth' },
    ]);
  });

  it.each([null, [], 5, 'x'])('refuses a -r document %j that is not an object, naming --resources', (document) => {
    const { diagnostics } = resourcesFromUpdateFlags(document as unknown as LinuxResources, { memory: '1g' });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.pointer).toBe('--resources');
    expect(diagnostics[0]!.message).toMatch(/^must hold a JSON object \(linux\.resources\), got /);
  });

  it('ignores flags that were not given and other commands\' flags', () => {
    expect(resourcesFromUpdateFlags({}, { resources: '-', detach: true })).toEqual({ resources: {}, diagnostics: [] });
  });
});
