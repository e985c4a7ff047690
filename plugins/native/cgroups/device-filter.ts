import type { DeviceRule, Diagnostic } from '../../../core/plugin-api.js';
import type { PointedDeviceRule } from './resource-writes.js';

/**
 * Device rules → a BPF_PROG_TYPE_CGROUP_DEVICE program. Pure. cgroup v2 has no devices.allow:
 * the kernel runs programs attached to the cgroup on every open and mknod of a device node,
 * and the access happens only if they all return 1.
 *
 * What the rules mean (the reference the property test checks the program against): for each
 * access a request asks for (r, w, m), the LAST rule that matches the device and names that
 * access decides it; an access no rule decides is denied; the request is allowed when every
 * access it asks for is. So a leading deny-all or allow-all sets the default, and later rules
 * win, as runc's emulator of v1 has it. Where v1's kernel would silently differ, the rules are
 * taken as written: a later deny punches a hole in an earlier wildcard allow (v1 ignores it,
 * runc refuses it), an access may be allowed by one rule and another access by a second, and a
 * type "a" rule with numbers or a partial access covers just those (v1 resets everything).
 *
 * The program walks the rules from the last to the first with the accesses still undecided in
 * a register: an allow rule that matches clears its accesses (all cleared: allow), a deny rule
 * that matches one of them denies.
 */

/** What the kernel passes (struct bpf_cgroup_dev_ctx): access_type = access << 16 | type. */
const DeviceType = { block: 1, char: 2 } as const;
const DeviceAccess = { mknod: 1, read: 2, write: 4 } as const;
const everyAccess = DeviceAccess.mknod | DeviceAccess.read | DeviceAccess.write;

/** Loads a compiled program and attaches it to a cgroup directory in place of berth's earlier one. */
export type AttachDeviceFilter = (cgroupDir: string, program: Uint8Array) => void;

export interface CompiledDeviceFilter {
  /** struct bpf_insn, 8 bytes each, little-endian. */
  program: Uint8Array;
  problems: Diagnostic[];
}

/** One eBPF instruction, as struct bpf_insn spells it. */
interface BpfInstruction {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** The opcodes the compiler emits (class | operation | source). */
const BpfCode = {
  /** dst = *(u32 *)(src + off) */
  loadWord: 0x61,
  /** dst &= imm (64-bit, imm sign-extended) */
  andImm: 0x57,
  /** dst >>= imm (64-bit) */
  shiftRightImm: 0x77,
  /** dst = imm (64-bit, sign-extended) */
  moveImm: 0xb7,
  /** dst = src */
  moveReg: 0xbf,
  /** if dst == imm goto pc + 1 + off (64-bit) */
  jumpIfEqualImm: 0x15,
  /** if dst != imm goto pc + 1 + off (64-bit) */
  jumpIfNotEqualImm: 0x55,
  /** if (u32)dst != (u32)imm goto pc + 1 + off */
  jumpIfNotEqualImm32: 0x56,
  /** return r0 */
  exit: 0x95,
} as const;

// Registers: r1 holds the context on entry; the prologue loads the request into r2..r5.
const context = 1;
const scratch = 1;
const type = 2;
const undecided = 3;
const major = 4;
const minor = 5;
const result = 0;

const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInstruction => ({ code, dst, src, off, imm });
const decide = (allow: boolean): BpfInstruction[] => [insn(BpfCode.moveImm, result, 0, 0, allow ? 1 : 0), insn(BpfCode.exit, 0, 0, 0, 0)];

export function compileDeviceFilter(rules: readonly PointedDeviceRule[]): CompiledDeviceFilter {
  const problems: Diagnostic[] = [];
  const decoded = rules.map(({ rule, pointer }) => decodeRule(rule, pointer, problems));
  // Everything before the last rule covering every device and access is overruled by it.
  let start = 0;
  let defaultAllow = false;
  decoded.forEach((rule, i) => {
    if (rule && rule.type === undefined && rule.major === undefined && rule.minor === undefined && rule.access === everyAccess) {
      start = i + 1;
      defaultAllow = rule.allow;
    }
  });
  const instructions: BpfInstruction[] = [
    insn(BpfCode.loadWord, type, context, 0, 0),
    insn(BpfCode.andImm, type, 0, 0, 0xffff),
    insn(BpfCode.loadWord, undecided, context, 0, 0),
    insn(BpfCode.shiftRightImm, undecided, 0, 0, 16),
    insn(BpfCode.andImm, undecided, 0, 0, everyAccess),
    insn(BpfCode.loadWord, major, context, 4, 0),
    insn(BpfCode.loadWord, minor, context, 8, 0),
    // A request asking for no access has nothing to decide (the kernel's opens always ask).
    insn(BpfCode.jumpIfNotEqualImm, undecided, 0, 2, 0),
    ...decide(true),
  ];
  for (const rule of decoded.slice(start).reverse()) if (rule) instructions.push(...ruleBlock(rule));
  instructions.push(...decide(defaultAllow));
  return { program: encode(instructions), problems };
}

interface DecodedRule {
  allow: boolean;
  /** undefined: every type. */
  type?: number;
  major?: number;
  minor?: number;
  access: number;
}

/** A rule's test-and-decide block; each "next rule" jump lands just past the block. */
function ruleBlock(rule: DecodedRule): BpfInstruction[] {
  const tests: Omit<BpfInstruction, 'off'>[] = [];
  if (rule.type !== undefined) tests.push({ code: BpfCode.jumpIfNotEqualImm32, dst: type, src: 0, imm: rule.type });
  if (rule.major !== undefined) tests.push({ code: BpfCode.jumpIfNotEqualImm32, dst: major, src: 0, imm: rule.major | 0 });
  if (rule.minor !== undefined) tests.push({ code: BpfCode.jumpIfNotEqualImm32, dst: minor, src: 0, imm: rule.minor | 0 });
  const body: Omit<BpfInstruction, 'off'>[] = [];
  // A rule naming every access decides whatever is still undecided (never nothing, see the prologue).
  if (rule.access !== everyAccess) {
    if (rule.allow) {
      body.push({ code: BpfCode.andImm, dst: undecided, src: 0, imm: ~rule.access }, { code: BpfCode.jumpIfNotEqualImm, dst: undecided, src: 0, imm: 0 });
    } else {
      body.push(
        { code: BpfCode.moveReg, dst: scratch, src: undecided, imm: 0 },
        { code: BpfCode.andImm, dst: scratch, src: 0, imm: rule.access },
        { code: BpfCode.jumpIfEqualImm, dst: scratch, src: 0, imm: 0 },
      );
    }
  }
  const block = [...tests, ...body];
  const length = block.length + 2;
  const isJump = (code: number) => code === BpfCode.jumpIfNotEqualImm32 || code === BpfCode.jumpIfNotEqualImm || code === BpfCode.jumpIfEqualImm;
  return [...block.map((i, at) => ({ ...i, off: isJump(i.code) ? length - at - 1 : 0 })), ...decide(rule.allow)];
}

function decodeRule(rule: DeviceRule, pointer: string, problems: Diagnostic[]): DecodedRule | undefined {
  const before = problems.length;
  const type = rule.type === undefined || rule.type === 'a' ? undefined : rule.type === 'c' ? DeviceType.char : rule.type === 'b' ? DeviceType.block : -1;
  if (type === -1) problems.push({ pointer: `${pointer}/type`, message: `must be "a", "b" or "c", got ${JSON.stringify(rule.type)}` });
  const number = (field: 'major' | 'minor'): number | undefined => {
    const n = rule[field];
    // Negative means any, as in v1's "*".
    if (n === undefined || n < 0) return undefined;
    if (typeof n === 'bigint' || !Number.isInteger(n) || n > 0xffffffff) {
      problems.push({ pointer: `${pointer}/${field}`, message: `must be a device number below 2^32, got ${n}` });
      return undefined;
    }
    return n;
  };
  const majorNumber = number('major');
  const minorNumber = number('minor');
  let access = 0;
  for (const letter of rule.access || 'rwm') {
    const bit = letter === 'r' ? DeviceAccess.read : letter === 'w' ? DeviceAccess.write : letter === 'm' ? DeviceAccess.mknod : 0;
    if (bit === 0) {
      problems.push({ pointer: `${pointer}/access`, message: `must be made of r, w and m, got ${JSON.stringify(rule.access)}` });
      break;
    }
    access |= bit;
  }
  if (problems.length > before) return undefined;
  return { allow: rule.allow, ...(type !== undefined ? { type } : {}), ...(majorNumber !== undefined ? { major: majorNumber } : {}), ...(minorNumber !== undefined ? { minor: minorNumber } : {}), access };
}

function encode(instructions: readonly BpfInstruction[]): Uint8Array {
  const bytes = Buffer.alloc(instructions.length * 8);
  instructions.forEach((i, at) => {
    bytes.writeUInt8(i.code, at * 8);
    bytes.writeUInt8(i.dst | (i.src << 4), at * 8 + 1);
    bytes.writeInt16LE(i.off, at * 8 + 2);
    bytes.writeInt32LE(i.imm, at * 8 + 4);
  });
  return bytes;
}
