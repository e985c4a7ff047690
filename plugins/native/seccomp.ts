import { pointerOf, type Diagnostic, type Seccomp } from '../../core/plugin-api.js';
import type { PlanOp } from './wire.js';

/** libseccomp's action values (seccomp.h), computed here so the helper passes them through. */
export function seccompAction(action: string, errnoRet: number | undefined): number {
  const EPERM = 1;
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return 0x00000000;
    case 'SCMP_ACT_KILL_PROCESS':
      return 0x80000000;
    case 'SCMP_ACT_TRAP':
      return 0x00030000;
    case 'SCMP_ACT_ERRNO':
      return 0x00050000 | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_TRACE':
      return 0x7ff00000 | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_LOG':
      return 0x7ffc0000;
    case 'SCMP_ACT_ALLOW':
      return 0x7fff0000;
    case 'SCMP_ACT_NOTIFY':
      return 0x7fc00000;
    default:
      throw new Error(`unknown seccomp action ${action}`);
  }
}

const operators: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};

/** Spec architecture names → libseccomp's names. */
export const seccompArchitectures: Record<string, string> = {
  SCMP_ARCH_X86: 'x86', SCMP_ARCH_X86_64: 'x86_64', SCMP_ARCH_X32: 'x32', SCMP_ARCH_ARM: 'arm', SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips', SCMP_ARCH_MIPS64: 'mips64', SCMP_ARCH_MIPS64N32: 'mips64n32', SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64', SCMP_ARCH_MIPSEL64N32: 'mipsel64n32', SCMP_ARCH_PPC: 'ppc', SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le', SCMP_ARCH_S390: 's390', SCMP_ARCH_S390X: 's390x', SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64', SCMP_ARCH_RISCV64: 'riscv64', SCMP_ARCH_LOONGARCH64: 'loongarch64', SCMP_ARCH_M68K: 'm68k',
  SCMP_ARCH_SH: 'sh', SCMP_ARCH_SHEB: 'sheb',
};

export const supportedSeccompFlags = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'];

/** What the native backend cannot do with this profile yet, at its pointers. */
export function seccompProblems(seccomp: Seccomp): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (...path: (string | number)[]) => pointerOf('linux', 'seccomp', ...path);
  // runtime-spec: SCMP_ACT_NOTIFY hands the notify fd to the agent at listenerPath; without one, nobody could answer.
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') out.push({ pointer: at('defaultAction'), message: 'SCMP_ACT_NOTIFY cannot be the default action: it would stop the runtime\'s own setup' });
  if (usesNotify(seccomp) && !seccomp.listenerPath) {
    (seccomp.syscalls ?? []).forEach((rule, i) => {
      if (rule.action === 'SCMP_ACT_NOTIFY') out.push({ pointer: at('syscalls', i, 'action'), message: 'SCMP_ACT_NOTIFY needs /linux/seccomp/listenerPath: the seccomp agent that answers' });
    });
  }
  (seccomp.flags ?? []).forEach((flag, i) => {
    if (!supportedSeccompFlags.includes(flag)) out.push({ pointer: at('flags', i), message: `flag ${flag} is not supported by this host's libseccomp (2.5)` });
  });
  (seccomp.architectures ?? []).forEach((arch, i) => {
    if (!seccompArchitectures[arch]) out.push({ pointer: at('architectures', i), message: `unknown architecture ${JSON.stringify(arch)}` });
  });
  return out;
}

export function usesNotify(seccomp: Seccomp): boolean {
  return (seccomp.syscalls ?? []).some((rule) => rule.action === 'SCMP_ACT_NOTIFY');
}

/**
 * The filter as plan ops (INIT, ARCH, RULE; LOAD is placed by the plan), each naming its field
 * in config.json's linux.seccomp (exec reuses the container's filter). As runc: a rule whose
 * action is the default one is left out (libseccomp refuses it), and conditions on the same
 * argument index become separate rules (OR), conditions on different indexes one rule (AND).
 */
export function seccompOps(seccomp: Seccomp): PlanOp[] {
  const flags = new Set(seccomp.flags ?? []);
  const defaultAction = seccompAction(seccomp.defaultAction, seccomp.defaultErrnoRet);
  const at = (...path: (string | number)[]) => pointerOf('linux', 'seccomp', ...path);
  const ops: PlanOp[] = [
    { op: 'SECCOMP_INIT', args: [defaultAction, flags.has('SECCOMP_FILTER_FLAG_TSYNC') ? 1 : 0, flags.has('SECCOMP_FILTER_FLAG_LOG') ? 1 : 0, flags.has('SECCOMP_FILTER_FLAG_SPEC_ALLOW') ? 1 : 0], field: at() },
  ];
  (seccomp.architectures ?? []).forEach((arch, i) => ops.push({ op: 'SECCOMP_ARCH', args: [seccompArchitectures[arch]!], field: at('architectures', i) }));
  // Profiles repeat rules (podman's, built from capability-dependent blocks); libseccomp refuses
  // the same rule twice with EEXIST, so each distinct rule goes in once.
  const added = new Set<string>();
  for (const [i, rule] of (seccomp.syscalls ?? []).entries()) {
    const action = seccompAction(rule.action, rule.errnoRet);
    if (action === defaultAction) continue;
    const conditions = (rule.args ?? []).map((a) => [a.index, operators[a.op]!, BigInt(a.value), BigInt(a.valueTwo ?? 0)] as const);
    const indexes = conditions.map((c) => c[0]);
    const groups = new Set(indexes).size === indexes.length ? [conditions] : conditions.map((c) => [c]);
    for (const [j, name] of rule.names.entries()) {
      for (const group of groups) {
        const args = [name, action, group.length, ...group.flat()];
        const key = args.map(String).join(' ');
        if (added.has(key)) continue;
        added.add(key);
        ops.push({ op: 'SECCOMP_RULE', args, field: at('syscalls', i, 'names', j) });
      }
    }
  }
  return ops;
}
