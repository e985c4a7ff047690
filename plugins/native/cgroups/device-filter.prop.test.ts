import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceRule } from '../../../core/plugin-api.js';
import { compileDeviceFilter } from './device-filter.js';
import { effectiveDeviceRules, type PointedDeviceRule } from './resource-writes.js';
import { BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR, referenceAllows, type DeviceRequest as Request } from './test-support/device-rule-reference.js';

/**
 * The compiled program, run by a small eBPF interpreter written here from linux/bpf.h (not from
 * the compiler's constants), must decide every request as the rules read plainly do.
 */

// linux/bpf_common.h and linux/bpf.h.
const BPF_LDX = 0x01, BPF_JMP = 0x05, BPF_JMP32 = 0x06, BPF_ALU64 = 0x07;
const BPF_W = 0x00, BPF_MEM = 0x60, BPF_K = 0x00, BPF_X = 0x08;
const BPF_AND = 0x50, BPF_RSH = 0x70, BPF_MOV = 0xb0;
const BPF_JEQ = 0x10, BPF_JNE = 0x50, BPF_EXIT = 0x90;

/**
 * Runs a program on struct bpf_cgroup_dev_ctx { u32 access_type, major, minor }. Refuses what
 * the kernel's verifier would (unknown instructions, backward or out-of-range jumps, reads of
 * unset registers or outside the context, running off the end) so a pass here means something.
 */
function runProgram(program: Uint8Array, request: Request): number {
  const bytes = Buffer.from(program.buffer, program.byteOffset, program.byteLength);
  expect(bytes.length % 8).toBe(0);
  const count = bytes.length / 8;
  const context = [((request.access << 16) | request.type) >>> 0, request.major >>> 0, request.minor >>> 0];
  const regs: (bigint | undefined)[] = Array(11).fill(undefined);
  const contextPointer = -1n;
  regs[1] = contextPointer;
  const u64 = (n: bigint) => BigInt.asUintN(64, n);
  const read = (r: number) => {
    if (regs[r] === undefined) throw new Error(`r${r} read before it is set`);
    return regs[r]!;
  };
  for (let pc = 0, steps = 0; ; steps++) {
    if (pc < 0 || pc >= count) throw new Error(`pc ${pc} is outside the program`);
    if (steps > count) throw new Error('the program loops');
    const code = bytes.readUInt8(pc * 8);
    const dst = bytes.readUInt8(pc * 8 + 1) & 0xf;
    const src = bytes.readUInt8(pc * 8 + 1) >> 4;
    const off = bytes.readInt16LE(pc * 8 + 2);
    const imm = BigInt(bytes.readInt32LE(pc * 8 + 4));
    const jump = (taken: boolean) => {
      if (off < 0) throw new Error(`backward jump at ${pc}`);
      pc += 1 + (taken ? off : 0);
    };
    switch (code) {
      case BPF_LDX | BPF_W | BPF_MEM:
        if (read(src) !== contextPointer || ![0, 4, 8].includes(off)) throw new Error(`load at ${pc} is not a context field`);
        regs[dst] = BigInt(context[off / 4]!);
        pc++;
        break;
      case BPF_ALU64 | BPF_AND | BPF_K:
        regs[dst] = u64(read(dst) & u64(imm));
        pc++;
        break;
      case BPF_ALU64 | BPF_RSH | BPF_K:
        regs[dst] = read(dst) >> imm;
        pc++;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        regs[dst] = u64(imm);
        pc++;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_X:
        regs[dst] = read(src);
        pc++;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        jump(read(dst) === u64(imm));
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        jump(read(dst) !== u64(imm));
        break;
      case BPF_JMP32 | BPF_JNE | BPF_K:
        jump(BigInt.asUintN(32, read(dst)) !== BigInt.asUintN(32, imm));
        break;
      case BPF_JMP | BPF_EXIT:
        return Number(read(0));
      default:
        throw new Error(`instruction ${code.toString(16)} at ${pc} is not one the compiler should emit`);
    }
  }
}

const pointed = (rules: readonly DeviceRule[]): PointedDeviceRule[] => rules.map((rule, i) => ({ rule, pointer: `/linux/resources/devices/${i}` }));

function allows(rules: readonly DeviceRule[], request: Request): boolean {
  const { program, problems } = compileDeviceFilter(pointed(rules));
  expect(problems).toEqual([]);
  return runProgram(program, request) === 1;
}

// Device numbers from a small set, so that rules and requests meet often, plus the u32 extremes.
const deviceNumber = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const ruleArbitrary: fc.Arbitrary<DeviceRule> = fc.record(
  {
    allow: fc.boolean(),
    type: fc.constantFrom('a', 'b', 'c'),
    major: fc.oneof(deviceNumber, fc.constant(-1)),
    minor: fc.oneof(deviceNumber, fc.constant(-1)),
    access: fc.subarray(['r', 'w', 'm']).chain((letters) => fc.shuffledSubarray(letters, { minLength: letters.length }).map((l) => l.join(''))),
  },
  { requiredKeys: ['allow'] },
);
const requestArbitrary: fc.Arbitrary<Request> = fc.record({
  // The kernel sends 1 (block) or 2 (char); other values must match only type "a" rules.
  type: fc.oneof(fc.constantFrom(BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR), fc.integer({ min: 0, max: 0xffff })),
  major: deviceNumber,
  minor: deviceNumber,
  // The kernel asks for some of r, w, m; bits it does not define must not change the answer.
  access: fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 0xffff })),
});

describe('compileDeviceFilter', () => {
  it('decides every request as the rules read plainly do, whatever the rules', () => {
    fc.assert(
      fc.property(fc.array(ruleArbitrary, { maxLength: 12 }), fc.array(requestArbitrary, { minLength: 1, maxLength: 20 }), (rules, requests) => {
        for (const request of requests) expect(allows(rules, request), JSON.stringify(request)).toBe(referenceAllows(rules, request));
      }),
      { numRuns: 2000 },
    );
  });

  it('decides as the rules do for what containers get: the config\'s rules, the always-allowed devices, linux.devices', () => {
    const linuxDevice = fc.record({ type: fc.constantFrom('c', 'b', 'u', 'p'), major: fc.integer({ min: 0, max: 3 }), minor: fc.integer({ min: 0, max: 3 }) });
    const usual = fc.integer({ min: 0, max: 10 }).chain((major) => fc.record({ type: fc.constantFrom(BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR), major: fc.constant(major), minor: fc.integer({ min: 0, max: 10 }), access: fc.integer({ min: 1, max: 7 }) }));
    fc.assert(
      fc.property(fc.array(ruleArbitrary, { maxLength: 4 }), fc.array(linuxDevice, { maxLength: 3 }), fc.array(usual, { minLength: 1, maxLength: 20 }), (rules, devices, requests) => {
        const effective = effectiveDeviceRules(rules, devices);
        const { program, problems } = compileDeviceFilter(effective);
        expect(problems).toEqual([]);
        for (const request of requests) expect(runProgram(program, request) === 1, JSON.stringify(request)).toBe(referenceAllows(effective.map((r) => r.rule), request));
      }),
      { numRuns: 500 },
    );
  });

  const nullDevice = (access: number): Request => ({ type: BPF_DEVCG_DEV_CHAR, major: 1, minor: 3, access });
  const read = BPF_DEVCG_ACC_READ, write = BPF_DEVCG_ACC_WRITE;

  it('with no rules denies everything; a leading allow-all or deny-all sets the default', () => {
    expect(allows([], nullDevice(read))).toBe(false);
    expect(allows([{ allow: true, access: 'rwm' }], nullDevice(read | write))).toBe(true);
    expect(allows([{ allow: true }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }], nullDevice(read))).toBe(true);
    expect(allows([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, access: 'r' }], nullDevice(read))).toBe(true);
    expect(allows([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, access: 'r' }], { ...nullDevice(read), type: BPF_DEVCG_DEV_BLOCK })).toBe(false);
  });

  it('later rules win, also inside an earlier wildcard (where v1 would silently ignore the later deny)', () => {
    const rules: DeviceRule[] = [{ allow: true, type: 'c', access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }];
    expect(allows(rules, nullDevice(read))).toBe(true);
    expect(allows(rules, nullDevice(write))).toBe(false);
    // Opening for reading and writing asks both: one denied access denies the open.
    expect(allows(rules, nullDevice(read | write))).toBe(false);
    expect(allows([...rules, { allow: true, type: 'c', major: 1, minor: 3, access: 'w' }], nullDevice(read | write))).toBe(true);
  });

  it('reports rules it cannot express at their pointers, all at once', () => {
    const { problems } = compileDeviceFilter(pointed([
      { allow: true, type: 'x' },
      { allow: true, type: 'c', major: 2 ** 32 },
      { allow: true, type: 'c', minor: 1.5 },
      { allow: false, access: 'rwx' },
    ]));
    expect(problems).toEqual([
      { pointer: '/linux/resources/devices/0/type', message: 'must be "a", "b" or "c", got "x"' },
      { pointer: '/linux/resources/devices/1/major', message: 'must be a device number below 2^32, got 4294967296' },
      { pointer: '/linux/resources/devices/2/minor', message: 'must be a device number below 2^32, got 1.5' },
      { pointer: '/linux/resources/devices/3/access', message: 'must be made of r, w and m, got "rwx"' },
    ]);
  });
});
