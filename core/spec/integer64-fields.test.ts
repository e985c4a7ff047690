import { describe, expect, it } from 'vitest';
import { defaultSpec } from './default-spec.js';
import { integer64Bounds, integer64Fields, integer64TypeAt } from './integer64-fields.js';
import { schemaIntegers } from './test-support/schema-integers.js';
import { validateConfig } from './validate-config.js';

const schema = schemaIntegers();
const safe = BigInt(Number.MAX_SAFE_INTEGER);
const typeOf = (s: { minimum?: bigint; maximum?: bigint }) =>
  (Object.keys(integer64Bounds) as (keyof typeof integer64Bounds)[]).find((t) => integer64Bounds[t].min === s.minimum && integer64Bounds[t].max === s.maximum);

describe('integer64Fields', () => {
  it('is exactly the int64 and uint64 fields of the official schema, found by walking it', () => {
    const fromSchema = Object.fromEntries(schema.filter((s) => typeOf(s)).map((s) => [s.pattern, typeOf(s)]));
    expect(integer64Fields).toEqual(fromSchema);
    // The walk reached what the issue names, so it is not vacuous.
    for (const pattern of ['/process/rlimits/*/hard', '/linux/seccomp/syscalls/*/args/*/value', '/linux/resources/memory/limit', '/linux/devices/*/major', '/linux/timeOffsets/monotonic/secs', '/process/scheduler/runtime']) {
      expect(integer64Fields[pattern], pattern).toBeDefined();
    }
  });

  it('leaves no other schema integer with a bound beyond what a double holds exactly', () => {
    for (const s of schema.filter((s) => !typeOf(s))) {
      for (const bound of [s.minimum, s.maximum]) if (bound !== undefined) expect(bound >= -safe && bound <= safe, s.pattern).toBe(true);
    }
  });

  it('has the bounds defs.json gives int64 and uint64', () => {
    expect(integer64Bounds).toEqual({ int64: { min: -9223372036854775808n, max: 9223372036854775807n }, uint64: { min: 0n, max: 18446744073709551615n } });
  });

  it('matches a pointer with "*" for any index or key, and nothing longer or shorter', () => {
    expect(integer64TypeAt('/process/rlimits/12/hard')).toBe('uint64');
    expect(integer64TypeAt('/linux/resources/memory/limit')).toBe('int64');
    expect(integer64TypeAt('/process/rlimits/0')).toBeUndefined();
    expect(integer64TypeAt('/process/rlimits/0/hard/x')).toBeUndefined();
    expect(integer64TypeAt('/process/user/uid')).toBeUndefined();
  });
});

/** A default config with one value set at a pointer (creating objects and one-element arrays on the way). */
function configWith(pointer: string, value: unknown): Record<string, unknown> {
  const doc = defaultSpec() as unknown as Record<string, unknown>;
  const tokens = pointer.split('/').slice(1);
  let node = doc as Record<string, unknown>;
  tokens.slice(0, -1).forEach((token, i) => {
    const next = tokens[i + 1]!;
    if (node[token] === undefined || typeof node[token] !== 'object') node[token] = /^\d+$/.test(next) ? [] : {};
    node = node[token] as Record<string, unknown>;
  });
  node[tokens.at(-1)!] = value;
  return doc;
}

/** A concrete pointer for a pattern, and the siblings its schema requires, so only the value itself can be wrong. */
function concrete(pattern: string): { pointer: string; doc: (value: unknown) => Record<string, unknown> } {
  const pointer = pattern.replaceAll('*', '0');
  return {
    pointer,
    doc: (value) => {
      let doc = configWith(pointer, value);
      const set = (p: string, v: unknown) => (doc = mergeAt(doc, p, v));
      if (pointer.startsWith('/process/rlimits/0/')) set('/process/rlimits/0/type', 'RLIMIT_CORE'), set(`/process/rlimits/0/${pointer.endsWith('hard') ? 'soft' : 'hard'}`, 0);
      if (pointer.startsWith('/process/rlimits/0/soft')) set('/process/rlimits/0/hard', value);
      if (pointer.startsWith('/process/consoleSize/')) set('/process/terminal', true), set(`/process/consoleSize/${pointer.endsWith('height') ? 'width' : 'height'}`, 1);
      if (pointer.startsWith('/process/scheduler/')) set('/process/scheduler/policy', 'SCHED_OTHER');
      if (pointer.startsWith('/linux/devices/0/')) set('/linux/devices/0/type', 'c'), set('/linux/devices/0/path', '/dev/x'), set(`/linux/devices/0/${pointer.endsWith('major') ? 'minor' : 'major'}`, 1);
      if (/^\/linux\/resources\/blockIO\/\w+\/0\//.test(pointer)) for (const f of ['major', 'minor']) if (!pointer.endsWith(f)) set(pointer.replace(/[^/]+$/, f), 1);
      if (pointer.startsWith('/linux/resources/devices/0/')) set('/linux/resources/devices/0/allow', true);
      if (pointer.startsWith('/linux/resources/hugepageLimits/0/')) set('/linux/resources/hugepageLimits/0/pageSize', '2MB');
      if (pointer.startsWith('/linux/seccomp/')) set('/linux/seccomp/defaultAction', 'SCMP_ACT_ALLOW'), set('/linux/seccomp/syscalls/0/names', ['kill']), set('/linux/seccomp/syscalls/0/action', 'SCMP_ACT_ERRNO'), set('/linux/seccomp/syscalls/0/args/0/index', 0), set('/linux/seccomp/syscalls/0/args/0/op', 'SCMP_CMP_EQ'), set('/linux/seccomp/syscalls/0/args/0/value', pointer.endsWith('/value') ? value : 1);
      if (pointer.startsWith('/linux/timeOffsets/')) set('/linux/namespaces', [{ type: 'mount' }, { type: 'time' }]);
      if (pointer.startsWith('/vm/')) set('/vm/kernel/path', '/k'), set('/vm/hwConfig/iomems/0/firstMFN', pointer.endsWith('firstMFN') ? value : 1), set('/vm/hwConfig/iomems/0/nrMFNs', pointer.endsWith('nrMFNs') ? value : 1);
      return doc;
    },
  };
}

function mergeAt(doc: Record<string, unknown>, pointer: string, value: unknown): Record<string, unknown> {
  const tokens = pointer.split('/').slice(1);
  let node = doc;
  tokens.slice(0, -1).forEach((token, i) => {
    if (node[token] === undefined) node[token] = /^\d+$/.test(tokens[i + 1]!) ? [] : {};
    node = node[token] as Record<string, unknown>;
  });
  node[tokens.at(-1)!] = value;
  return doc;
}

describe('validateConfig range verdicts for 64-bit fields', () => {
  const edges = { int64: [-(2n ** 63n) - 1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 63n], uint64: [-1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n] } as const;
  for (const [pattern, type] of Object.entries(integer64Fields)) {
    it(`${pattern} (${type}) takes exactly its range`, () => {
      const { pointer, doc } = concrete(pattern);
      const { min, max } = integer64Bounds[type];
      for (const value of edges[type]) {
        // As exact-json.ts gives them: a number when safe (then the schema's own message), else a bigint.
        const given = value >= -safe && value <= safe ? Number(value) : value;
        const atPointer = validateConfig(doc(given)).filter((d) => d.pointer === pointer);
        const exactType = typeof given === 'bigint' ? ` (${type})` : '';
        if (value >= min && value <= max) expect(atPointer, `${value}`).toEqual([]);
        else expect(atPointer, `${value}`).toEqual([{ pointer, message: value < min ? `must be >= ${min}${exactType}, got ${value}` : `must be <= ${max}${exactType}, got ${value}` }]);
      }
    });
  }
});

describe('validateConfig: integers beyond 2^53 outside 64-bit fields', () => {
  it('refuses one in a field without a bound or unknown to the schema, at its pointer', () => {
    for (const pointer of ['/hooks/poststop/0/timeout', '/process/oomScoreAdj', '/x-vendor/count']) {
      const doc = configWith(pointer, 10n ** 19n);
      if (pointer.startsWith('/hooks')) mergeAt(doc, '/hooks/poststop/0/path', '/bin/true');
      expect(validateConfig(doc)).toEqual([{ pointer, message: `is out of range: an integer beyond ±9007199254740991 is only taken by the fields the runtime-spec declares int64 or uint64, got 10000000000000000000` }]);
    }
  });

  it('refuses one in a 32-bit field with the schema\'s own bound, exact digits shown', () => {
    expect(validateConfig(configWith('/process/user/uid', 2n ** 60n))).toEqual([{ pointer: '/process/user/uid', message: 'must be <= 4294967295, got 1152921504606846976' }]);
  });

  it('checks a soft rlimit above its hard one exactly, however large', () => {
    const doc = configWith('/process/rlimits', [{ type: 'RLIMIT_CORE', soft: 2n ** 64n - 1n, hard: 2n ** 64n - 2n }]);
    expect(validateConfig(doc)).toEqual([{ pointer: '/process/rlimits/0/soft', message: 'soft limit 18446744073709551615 is above hard limit 18446744073709551614' }]);
    expect(validateConfig(configWith('/process/rlimits', [{ type: 'RLIMIT_CORE', soft: 2n ** 64n - 1n, hard: 2n ** 64n - 1n }]))).toEqual([]);
  });
});
