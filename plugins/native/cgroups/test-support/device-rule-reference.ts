import type { DeviceRule, Integer64 } from '../../../../core/plugin-api.js';

/**
 * How device rules read plainly decide a request: what the compiled device filter must agree
 * with, in the interpreter (device-filter.prop.test.ts) and in the kernel (cgroup-v2.integration.test.ts).
 */

// linux/bpf.h: struct bpf_cgroup_dev_ctx's access_type is access << 16 | type.
export const BPF_DEVCG_DEV_BLOCK = 1, BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1, BPF_DEVCG_ACC_READ = 2, BPF_DEVCG_ACC_WRITE = 4;

export interface DeviceRequest {
  type: number;
  major: number;
  minor: number;
  /** The BPF_DEVCG_ACC_* bits. */
  access: number;
}

/** The rules read plainly: for each access asked, the last rule matching the device and naming it decides; none denies. */
export function referenceAllows(rules: readonly DeviceRule[], request: DeviceRequest): boolean {
  const accessOf = (rule: DeviceRule) =>
    [...(rule.access || 'rwm')].reduce((bits, letter) => bits | ({ r: BPF_DEVCG_ACC_READ, w: BPF_DEVCG_ACC_WRITE, m: BPF_DEVCG_ACC_MKNOD } as Record<string, number>)[letter]!, 0);
  const typeMatches = (rule: DeviceRule) =>
    rule.type === undefined || rule.type === 'a' || (rule.type === 'c' && request.type === BPF_DEVCG_DEV_CHAR) || (rule.type === 'b' && request.type === BPF_DEVCG_DEV_BLOCK);
  const numberMatches = (wanted: Integer64 | undefined, actual: number) => wanted === undefined || wanted < 0 || BigInt(wanted) === BigInt(actual);
  const matches = (rule: DeviceRule) => typeMatches(rule) && numberMatches(rule.major, request.major) && numberMatches(rule.minor, request.minor);
  return [BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE]
    .filter((bit) => (request.access & bit) !== 0)
    .every((bit) => rules.findLast((rule) => matches(rule) && (accessOf(rule) & bit) !== 0)?.allow ?? false);
}
