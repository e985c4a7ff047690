import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePlan, type Arg } from './wire.js';

/** The u64 of the one integer argument of a plan whose CHILD section is one SETRLIMIT-shaped op. */
function encodedArgument(arg: Arg): bigint {
  const bytes = encodePlan({ flags: 0, cloneFlags: 0, pre: [], parent: [], child: [{ op: 'SETRLIMIT', args: [arg] }] });
  // header 20 bytes, three op counts, op code and argc, then the argument's tag byte.
  expect(bytes[40]).toBe(0);
  return bytes.readBigUInt64LE(41);
}

describe('encodePlan integers', () => {
  it('carries every integer in [-2^63, 2^64-1] exactly (negatives as two\'s complement) and refuses every other', () => {
    const anyInteger = fc.oneof(
      fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }),
      fc.bigInt({ min: 2n ** 64n - 1000n, max: 2n ** 64n + 1000n }),
      fc.bigInt({ min: -(2n ** 63n) - 1000n, max: -(2n ** 63n) + 1000n }),
      fc.bigInt({ min: 2n ** 63n - 1000n, max: 2n ** 63n + 1000n }),
    );
    fc.assert(
      fc.property(anyInteger, (n) => {
        if (n < -(2n ** 63n) || n > 2n ** 64n - 1n) expect(() => encodedArgument(n)).toThrow(/SETRLIMIT argument 0 is -?\d+, outside what the wire carries/);
        else expect(encodedArgument(n)).toBe(BigInt.asUintN(64, n));
      }),
      { numRuns: 2000 },
    );
  });

  it('carries a safe integer number as that integer, and refuses a fraction or a number past 2^53', () => {
    fc.assert(
      fc.property(fc.double(), (n) => {
        if (Number.isSafeInteger(n)) expect(encodedArgument(n)).toBe(BigInt.asUintN(64, BigInt(n)));
        else expect(() => encodedArgument(n)).toThrow(/not an integer the wire carries exactly/);
      }),
      { numRuns: 2000 },
    );
  });

  it('sends uint64 max as all bits set, not 0 (the double 2^64 wrapped to 0 before)', () => {
    expect(encodedArgument(18446744073709551615n)).toBe(0xffffffffffffffffn);
    expect(() => encodedArgument(2 ** 64)).toThrow(/not an integer the wire carries exactly/);
  });
});
