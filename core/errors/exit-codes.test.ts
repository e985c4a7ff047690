import { describe, expect, it } from 'vitest';
import { exitCodeOf, kindOfRpcCode, rpcCodeOf } from './exit-codes.js';
import type { ErrorKind } from './runtime-error.js';

const allKinds = [
  'USAGE', 'INVALID_ARGUMENT', 'CONTAINER_NOT_FOUND', 'CONTAINER_EXISTS', 'INVALID_STATE', 'INVALID_SPEC',
  'UNSUPPORTED', 'HOOK_FAILED', 'LOCKED', 'BACKEND', 'SYSTEM',
] as const satisfies readonly ErrorKind[];
// Fails to compile when a kind is added to ErrorKind but not to this list.
const everyKindListed: [Exclude<ErrorKind, (typeof allKinds)[number]>] extends [never] ? true : false = true;

describe('exit codes', () => {
  it('lists every kind (compile-time check)', () => {
    expect(everyKindListed).toBe(true);
  });

  it('exits 2 for a usage error, like urfave/cli', () => {
    expect(exitCodeOf('USAGE')).toBe(2);
  });

  it.each(allKinds.filter((k) => k !== 'USAGE'))('exits 1 for %s', (kind) => {
    expect(exitCodeOf(kind)).toBe(1);
  });
});

describe('JSON-RPC codes', () => {
  it('give each kind its own integer code', () => {
    const codes = allKinds.map(rpcCodeOf);
    for (const code of codes) expect(Number.isInteger(code)).toBe(true);
    expect(new Set(codes).size).toBe(allKinds.length);
  });

  it('stay outside the range JSON-RPC reserves (-32768..-32000)', () => {
    for (const kind of allKinds) {
      const code = rpcCodeOf(kind);
      expect(code < -32768 || code > -32000, `${kind}: ${code}`).toBe(true);
    }
  });

  it('keep their published values', () => {
    expect(Object.fromEntries(allKinds.map((k) => [k, rpcCodeOf(k)]))).toEqual({
      USAGE: 1000, INVALID_ARGUMENT: 1001, CONTAINER_NOT_FOUND: 1002, CONTAINER_EXISTS: 1003, INVALID_STATE: 1004, INVALID_SPEC: 1005,
      UNSUPPORTED: 1006, HOOK_FAILED: 1007, LOCKED: 1008, BACKEND: 1009, SYSTEM: 1010,
    });
  });

  it('map back to their kind, and unknown codes to nothing', () => {
    for (const kind of allKinds) expect(kindOfRpcCode(rpcCodeOf(kind))).toBe(kind);
    for (const code of [0, -32600, -32000, 999, 1011, 2000]) expect(kindOfRpcCode(code)).toBeUndefined();
  });
});
