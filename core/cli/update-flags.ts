import type { Diagnostic } from '../errors/runtime-error.js';
import type { Integer64 } from '../spec/config.js';
import type { LinuxResources } from '../spec/resources.js';
import type { FlagValues } from './parse-argv.js';

/**
 * runc's `update` flags → LinuxResources, laid over what -r gave. Sizes take runc's units
 * (64m, 1g: powers of 1024) or -1 for unlimited. Values are exact (a bigint beyond 2^53), within
 * their field's int64/uint64 range. Pure; each problem names its flag.
 */
export function resourcesFromUpdateFlags(base: LinuxResources, flags: FlagValues): { resources: LinuxResources; diagnostics: Diagnostic[] } {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) {
    // Checked here, not only by validation later: the flags below are set as fields of it.
    return { resources: base, diagnostics: [{ pointer: '--resources', message: `must hold a JSON object (linux.resources), got ${base === null ? 'null' : Array.isArray(base) ? 'an array' : typeof base}` }] };
  }
  const resources: LinuxResources = structuredClone(base);
  const diagnostics: Diagnostic[] = [];
  const text = (flag: string) => (typeof flags[flag] === 'string' ? (flags[flag] as string) : undefined);
  const bad = (flag: string, what: string, value: string) => diagnostics.push({ pointer: `--${flag}`, message: `must be ${what}, got ${JSON.stringify(value)}` });
  const size = (flag: string, set: (n: Integer64) => void) => {
    const value = text(flag);
    if (value === undefined) return;
    const n = value === '-1' ? -1 : parseSize(value);
    if (n === undefined) bad(flag, 'a size in bytes such as 67108864, 64m or 1g (or -1)', value);
    else set(n);
  };
  // Exact however large (a bigint beyond 2^53), within the field's own type.
  const integer = (flag: string, min: number, max: bigint, set: (n: Integer64) => void) => {
    const value = text(flag);
    if (value === undefined) return;
    const n = /^-?\d+$/.test(value) ? BigInt(value) : undefined;
    if (n === undefined || n < BigInt(min) || n > max) bad(flag, `${min >= 0 ? 'a non-negative integer' : `an integer of ${min} or more`}${n !== undefined && n > max ? ` up to ${max}` : ''}`, value);
    else set(exactInteger(n));
  };
  const memory = () => (resources.memory ??= {});
  const cpu = () => (resources.cpu ??= {});
  size('memory', (n) => (memory().limit = n));
  size('memory-reservation', (n) => (memory().reservation = n));
  size('memory-swap', (n) => (memory().swap = n));
  size('kernel-memory', (n) => (memory().kernel = n));
  size('kernel-memory-tcp', (n) => (memory().kernelTCP = n));
  integer('cpu-shares', 0, uint64Max, (n) => (cpu().shares = n));
  integer('cpu-share', 0, uint64Max, (n) => (cpu().shares = n));
  integer('cpu-quota', -1, int64Max, (n) => (cpu().quota = n));
  integer('cpu-period', 0, uint64Max, (n) => (cpu().period = n));
  integer('cpu-burst', 0, uint64Max, (n) => (cpu().burst = n));
  integer('cpu-rt-period', 0, uint64Max, (n) => (cpu().realtimePeriod = n));
  integer('cpu-rt-runtime', -1, int64Max, (n) => (cpu().realtimeRuntime = n));
  integer('cpu-idle', 0, int64Max, (n) => (cpu().idle = n));
  if (text('cpuset-cpus') !== undefined) cpu().cpus = text('cpuset-cpus')!;
  if (text('cpuset-mems') !== undefined) cpu().mems = text('cpuset-mems')!;
  integer('pids-limit', -1, int64Max, (n) => (resources.pids = { limit: n }));
  integer('blkio-weight', 0, 65535n, (n) => (resources.blockIO = { ...resources.blockIO, weight: Number(n) }));
  for (const flag of ['l3-cache-schema', 'mem-bw-schema']) {
    if (text(flag) !== undefined) diagnostics.push({ pointer: `--${flag}`, message: 'Intel RDT is not supported by berth' });
  }
  return { resources, diagnostics };
}

/**
 * "64m" → 67108864 (units k, m, g, t, p as powers of 1024, optional "i" and "b"), exactly: a
 * bigint beyond 2^53, and undefined beyond int64 (every size field is one).
 */
export function parseSize(text: string): Integer64 | undefined {
  const match = /^(\d+)(?:\.(\d+))? ?([kmgtp])?i?b?$/i.exec(text);
  if (!match) return undefined;
  const [, whole, fraction = ''] = match;
  const power = match[3] ? 'kmgtp'.indexOf(match[3].toLowerCase()) + 1 : 0;
  // (whole.fraction) × 1024^power, rounded down, in integers only.
  const n = (BigInt(`${whole}${fraction}`) * 1024n ** BigInt(power)) / 10n ** BigInt(fraction.length);
  return n > int64Max ? undefined : exactInteger(n);
}

const int64Max = 2n ** 63n - 1n;
const uint64Max = 2n ** 64n - 1n;

/** A number while safe, else the bigint: what exact-json.ts gives for the same digits. */
function exactInteger(n: bigint): Integer64 {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
