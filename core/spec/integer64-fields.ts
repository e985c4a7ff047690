import type { Diagnostic } from '../errors/runtime-error.js';
import { escapeToken, tokensOf } from './json-pointer.js';

/**
 * The fields the runtime-spec schema declares int64 or uint64 (defs.json), the only ones whose
 * values may be beyond ±(2^53−1) and so arrive from exact-json.ts as bigints. Pure.
 *
 * Derived from the official schema in schema/ and pinned by integer64-fields.test.ts, which
 * walks it: a schema update that adds or moves one fails that test until this list follows.
 * Patterns are JSON pointers in which "*" stands for any array index or object key.
 */
export type Integer64Type = 'int64' | 'uint64';

export const integer64Bounds: Record<Integer64Type, { min: bigint; max: bigint }> = {
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint64: { min: 0n, max: 2n ** 64n - 1n },
};

export const integer64Fields: Readonly<Record<string, Integer64Type>> = {
  '/linux/devices/*/major': 'int64',
  '/linux/devices/*/minor': 'int64',
  '/linux/resources/blockIO/throttleReadBpsDevice/*/major': 'int64',
  '/linux/resources/blockIO/throttleReadBpsDevice/*/minor': 'int64',
  '/linux/resources/blockIO/throttleReadBpsDevice/*/rate': 'uint64',
  '/linux/resources/blockIO/throttleReadIOPSDevice/*/major': 'int64',
  '/linux/resources/blockIO/throttleReadIOPSDevice/*/minor': 'int64',
  '/linux/resources/blockIO/throttleReadIOPSDevice/*/rate': 'uint64',
  '/linux/resources/blockIO/throttleWriteBpsDevice/*/major': 'int64',
  '/linux/resources/blockIO/throttleWriteBpsDevice/*/minor': 'int64',
  '/linux/resources/blockIO/throttleWriteBpsDevice/*/rate': 'uint64',
  '/linux/resources/blockIO/throttleWriteIOPSDevice/*/major': 'int64',
  '/linux/resources/blockIO/throttleWriteIOPSDevice/*/minor': 'int64',
  '/linux/resources/blockIO/throttleWriteIOPSDevice/*/rate': 'uint64',
  '/linux/resources/blockIO/weightDevice/*/major': 'int64',
  '/linux/resources/blockIO/weightDevice/*/minor': 'int64',
  '/linux/resources/cpu/burst': 'uint64',
  '/linux/resources/cpu/idle': 'int64',
  '/linux/resources/cpu/period': 'uint64',
  '/linux/resources/cpu/quota': 'int64',
  '/linux/resources/cpu/realtimePeriod': 'uint64',
  '/linux/resources/cpu/realtimeRuntime': 'int64',
  '/linux/resources/cpu/shares': 'uint64',
  '/linux/resources/devices/*/major': 'int64',
  '/linux/resources/devices/*/minor': 'int64',
  '/linux/resources/hugepageLimits/*/limit': 'uint64',
  '/linux/resources/memory/kernel': 'int64',
  '/linux/resources/memory/kernelTCP': 'int64',
  '/linux/resources/memory/limit': 'int64',
  '/linux/resources/memory/reservation': 'int64',
  '/linux/resources/memory/swap': 'int64',
  '/linux/resources/memory/swappiness': 'uint64',
  '/linux/resources/pids/limit': 'int64',
  '/linux/seccomp/syscalls/*/args/*/value': 'uint64',
  '/linux/seccomp/syscalls/*/args/*/valueTwo': 'uint64',
  '/linux/timeOffsets/boottime/secs': 'int64',
  '/linux/timeOffsets/monotonic/secs': 'int64',
  '/process/consoleSize/height': 'uint64',
  '/process/consoleSize/width': 'uint64',
  '/process/rlimits/*/hard': 'uint64',
  '/process/rlimits/*/soft': 'uint64',
  '/process/scheduler/deadline': 'uint64',
  '/process/scheduler/period': 'uint64',
  '/process/scheduler/runtime': 'uint64',
  '/vm/hwConfig/iomems/0/firstGFN': 'uint64',
  '/vm/hwConfig/iomems/0/firstMFN': 'uint64',
  '/vm/hwConfig/iomems/0/nrMFNs': 'uint64',
  '/vm/hwConfig/memory': 'uint64',
  '/windows/resources/cpu/affinity/mask': 'uint64',
  '/windows/resources/cpu/count': 'uint64',
  '/windows/resources/memory/limit': 'uint64',
  '/windows/resources/storage/bps': 'uint64',
  '/windows/resources/storage/iops': 'uint64',
  '/windows/resources/storage/sandboxSize': 'uint64',
};

const patterns = Object.entries(integer64Fields).map(([pattern, type]) => ({ tokens: tokensOf(pattern), type }));

/** The 64-bit type of the field at `pointer`, or undefined when the schema gives it no 64-bit type. */
export function integer64TypeAt(pointer: string): Integer64Type | undefined {
  const tokens = tokensOf(pointer);
  return patterns.find((p) => p.tokens.length === tokens.length && p.tokens.every((t, i) => t === '*' || t === tokens[i]))?.type;
}

/** Every bigint in a document, with its pointer (document order). */
export function bigintsIn(document: unknown): { pointer: string; value: bigint }[] {
  const out: { pointer: string; value: bigint }[] = [];
  const visit = (value: unknown, pointer: string) => {
    if (typeof value === 'bigint') out.push({ pointer, value });
    else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${pointer}/${i}`));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, `${pointer}/${escapeToken(k)}`);
  };
  visit(document, '');
  return out;
}

/** The document with each bigint replaced by the nearest double: what the schema validator can look at. */
export function numberView(document: unknown): unknown {
  if (typeof document === 'bigint') return Number(document);
  if (Array.isArray(document)) return document.map(numberView);
  if (document !== null && typeof document === 'object') {
    const out: Record<string, unknown> = {};
    // defineProperty: a "__proto__" member stays a member.
    for (const [k, v] of Object.entries(document)) Object.defineProperty(out, k, { value: numberView(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return document;
}

/**
 * The exact range verdict for a bigint (beyond ±(2^53−1)) at `pointer`: within its field's
 * int64/uint64 bounds, or a diagnostic. Anywhere else (a 32-bit field, a field the schema bounds
 * no further, an unknown field) such an integer is out of range: runc's Go types refuse it too.
 */
export function bigintProblem(pointer: string, value: bigint): Diagnostic | undefined {
  const type = integer64TypeAt(pointer);
  if (!type) {
    return { pointer, message: `is out of range: an integer beyond ±${Number.MAX_SAFE_INTEGER} is only taken by the fields the runtime-spec declares int64 or uint64, got ${value}` };
  }
  const { min, max } = integer64Bounds[type];
  if (value < min) return { pointer, message: `must be >= ${min} (${type}), got ${value}` };
  if (value > max) return { pointer, message: `must be <= ${max} (${type}), got ${value}` };
  return undefined;
}
