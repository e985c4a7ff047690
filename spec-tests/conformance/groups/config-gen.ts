import fc from 'fast-check';
import type { HostFacts } from '../host-facts.js';

/**
 * Generators of valid config fragments, each within what this host can grant (limits below its
 * hard limits, capabilities in its bounding set, oom_score_adj not below its own), and the
 * observation each one must produce. Pure: config.ts runs them through a runtime.
 */

const text = (max: number) => fc.string({ unit: 'grapheme', maxLength: max }).filter((s) => !s.includes('\0'));
const name = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);

// ---- process.args and process.env ----

export interface ArgsEnvCase {
  args: string[];
  env: string[];
}

const envEntries = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,9}$/).filter((k) => k !== 'HOME'), text(16)), { maxLength: 5, selector: ([k]) => k })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`));

/**
 * Arguments and an environment that has a HOME somewhere in it: runc, crun and berth add
 * HOME=/ to an environment without one, which envVerbatimCase checks on its own, so here it
 * cannot hide other differences.
 */
export const argsEnvCase: fc.Arbitrary<ArgsEnvCase> = fc
  .record({ args: fc.array(text(12), { maxLength: 4 }), env: envEntries, home: text(12), at: fc.nat() })
  .map(({ args, env, home, at }) => ({ args, env: env.toSpliced(at % (env.length + 1), 0, `HOME=${home}`) }));

/** An environment without HOME. */
export const envVerbatimCase: fc.Arbitrary<string[]> = envEntries;

// ---- process.cwd ----

export const cwdCase: fc.Arbitrary<string> = fc.oneof(fc.constant('/'), fc.array(fc.stringMatching(/^[a-z0-9._-]{1,8}$/).filter((s) => s !== '.' && s !== '..'), { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`));

// ---- process.user ----

export interface UserCase {
  uid: number;
  gid: number;
  additionalGids: number[];
}

const id = fc.integer({ min: 0, max: 65534 });
export const userCase: fc.Arbitrary<UserCase> = fc.record({ uid: id, gid: id, additionalGids: fc.uniqueArray(id, { maxLength: 5 }) });

// ---- process.user.umask ----

export const umaskCase = fc.integer({ min: 0, max: 0o777 });

// ---- process.capabilities ----

export interface CapabilitiesCase {
  uid: number;
  bounding: string[];
  permitted: string[];
  effective: string[];
  inheritable: string[];
  ambient: string[];
}

/**
 * Sets a runtime can always apply: effective within permitted, permitted and inheritable within
 * bounding, ambient within permitted and inheritable (capabilities(7)). The process runs as a
 * non-root uid, so exec keeps exactly these bounding, inheritable and ambient sets and makes
 * permitted and effective equal to ambient: a program without file capabilities gets nothing else.
 */
export function capabilitiesCase(host: HostFacts): fc.Arbitrary<CapabilitiesCase> {
  return fc.subarray(host.boundingCaps).chain((bounding) =>
    fc.tuple(fc.subarray(bounding), fc.subarray(bounding)).chain(([permitted, inheritable]) =>
      fc.record({
        uid: fc.integer({ min: 1, max: 65534 }),
        bounding: fc.constant(bounding),
        permitted: fc.constant(permitted),
        inheritable: fc.constant(inheritable),
        effective: fc.subarray(permitted),
        ambient: fc.subarray(permitted.filter((c) => inheritable.includes(c))),
      }),
    ),
  );
}

/** What a non-root process observes after exec (see capabilitiesCase). */
export function expectedCapabilities(c: CapabilitiesCase): Record<'bounding' | 'inheritable' | 'ambient' | 'permitted' | 'effective', string[]> {
  const sorted = (caps: string[]) => [...caps].sort();
  return { bounding: sorted(c.bounding), inheritable: sorted(c.inheritable), ambient: sorted(c.ambient), permitted: sorted(c.ambient), effective: sorted(c.ambient) };
}

// ---- process.rlimits ----

export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

/**
 * For each limit a range that lets the probe and the runtime's own last steps work (a few open
 * files, a stack, output to a file) and stays below the host's hard limit: raising a hard limit
 * needs CAP_SYS_RESOURCE, which this host does not give (and no runtime can grant).
 */
const rlimitRanges: Record<string, [number, number]> = {
  RLIMIT_NOFILE: [32, 1 << 20],
  RLIMIT_NPROC: [256, 1 << 20],
  RLIMIT_CORE: [0, 2 ** 32],
  RLIMIT_MSGQUEUE: [0, 1 << 24],
  RLIMIT_NICE: [0, 40],
  RLIMIT_RTPRIO: [0, 99],
  RLIMIT_SIGPENDING: [64, 1 << 20],
  RLIMIT_LOCKS: [16, 1 << 20],
  RLIMIT_MEMLOCK: [0, 1 << 30],
  RLIMIT_CPU: [30, 1 << 20],
  RLIMIT_FSIZE: [1 << 20, 2 ** 40],
  RLIMIT_STACK: [1 << 20, 1 << 26],
  RLIMIT_RTTIME: [1_000_000, 2 ** 40],
};

export function rlimitsCase(host: HostFacts): fc.Arbitrary<Rlimit[]> {
  const usable = Object.entries(rlimitRanges)
    .map(([type, [min, max]]) => [type, min, Math.min(max, host.hardLimits[type] ?? max)] as const)
    .filter(([, min, max]) => min <= max);
  return fc.subarray(usable, { minLength: 1 }).chain((types) =>
    fc.tuple(
      ...types.map(([type, min, max]) =>
        fc.integer({ min, max }).chain((hard) => fc.integer({ min, max: hard }).map((soft) => ({ type, soft, hard }))),
      ),
    ),
  );
}

// ---- hostname, domainname ----

export interface UtsCase {
  hostname: string;
  domainname?: string;
}

const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
export const utsCase: fc.Arbitrary<UtsCase> = fc.record({ hostname: dnsLabel, domainname: fc.option(dnsLabel, { nil: undefined }) }, { requiredKeys: ['hostname'] });

// ---- mounts ----

export type MountFlag = 'ro' | 'nosuid' | 'nodev' | 'noexec';
const mountFlags: MountFlag[] = ['ro', 'nosuid', 'nodev', 'noexec'];

export type MountCase =
  /** sizeKiB in whole 4 KiB pages: the kernel rounds a tmpfs size up to pages and shows the rounded value. */
  | { kind: 'tmpfs'; flags: MountFlag[]; sizeKiB?: number; mode?: number }
  | { kind: 'bind'; recursive: boolean; flags: MountFlag[]; content: string };

export const mountsCase: fc.Arbitrary<MountCase[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('tmpfs' as const), flags: fc.subarray(mountFlags), sizeKiB: fc.option(fc.integer({ min: 16, max: 16384 }).map((pages) => pages * 4), { nil: undefined }), mode: fc.option(fc.constantFrom(0o700, 0o755, 0o1777, 0o750), { nil: undefined }) }, { requiredKeys: ['kind', 'flags'] }),
    fc.record({ kind: fc.constant('bind' as const), recursive: fc.boolean(), flags: fc.subarray(mountFlags), content: fc.stringMatching(/^[a-z0-9 ]{1,20}$/) }),
  ),
  { minLength: 1, maxLength: 3 },
);

/** The config `options` of a mount case: its flags, and for tmpfs the size and mode. */
export function mountOptions(m: MountCase): string[] {
  if (m.kind === 'bind') return [m.recursive ? 'rbind' : 'bind', ...m.flags];
  return [...m.flags, ...(m.sizeKiB === undefined ? [] : [`size=${m.sizeKiB}k`]), ...(m.mode === undefined ? [] : [`mode=${m.mode.toString(8).padStart(4, '0')}`])];
}

/** What /proc/self/mountinfo must say of a mount: its per-mount flags, and for tmpfs what the kernel keeps of size and mode. */
export function expectedMount(m: MountCase): { options: string[]; absentOptions: string[]; superOptions: string[] } {
  const ro = m.flags.includes('ro');
  return {
    options: [ro ? 'ro' : 'rw', ...m.flags.filter((f) => f !== 'ro')],
    absentOptions: mountFlags.filter((f) => f !== 'ro' && !m.flags.includes(f)),
    // The kernel shows tmpfs's mode only when it is not the default 1777, in three or more octal digits.
    superOptions: m.kind === 'tmpfs' ? [...(m.sizeKiB === undefined ? [] : [`size=${m.sizeKiB}k`]), ...(m.mode === undefined || m.mode === 0o1777 ? [] : [`mode=${m.mode.toString(8).padStart(3, '0')}`])] : [],
  };
}

// ---- masked and read-only paths ----

export interface PathsCase {
  /** Files and directories made in the rootfs, each holding a secret line. */
  entries: { path: string; dir: boolean; secret: string }[];
  /** Which of them the config lists. */
  listed: boolean[];
}

export const pathsCase: fc.Arbitrary<PathsCase> = fc
  .uniqueArray(fc.record({ path: name.map((n) => `/data/${n}`), dir: fc.boolean(), secret: fc.stringMatching(/^[a-z0-9]{6,12}$/) }), { minLength: 1, maxLength: 4, selector: (e) => e.path })
  .chain((entries) => fc.record({ entries: fc.constant(entries), listed: fc.array(fc.boolean(), { minLength: entries.length, maxLength: entries.length }) }));

/** Where the secret of an entry is: the file itself, or a file inside the directory. */
export const secretFile = (e: PathsCase['entries'][number]) => (e.dir ? `${e.path}/inner` : e.path);

// ---- namespaces ----

export const newableNamespaces = ['pid', 'network', 'ipc', 'uts', 'cgroup'] as const;
export type NewableNamespace = (typeof newableNamespaces)[number];
/** Namespaces a case may join by path, taken from a holder process the case starts in new ones. */
export const joinableNamespaces = ['network', 'ipc', 'uts'] as const;

export interface NamespacesCase {
  /** Always with a new mount namespace (the rootfs needs one); these besides. */
  fresh: NewableNamespace[];
  /** Joined through /proc/HOLDER/ns/KIND; disjoint from `fresh`. */
  joined: (typeof joinableNamespaces)[number][];
}

export const namespacesCase: fc.Arbitrary<NamespacesCase> = fc
  .subarray([...newableNamespaces])
  .chain((fresh) => fc.record({ fresh: fc.constant(fresh), joined: fc.subarray(joinableNamespaces.filter((k) => !fresh.includes(k))) }));

/** The probe's name for a config namespace type. */
export const probeNamespaceName = (type: string) => ({ network: 'net', mount: 'mnt' })[type] ?? type;

// ---- oomScoreAdj ----

/** Lowering oom_score_adj below the runtime's own needs CAP_SYS_RESOURCE; undefined: not set. */
export const oomScoreAdjCase = (host: HostFacts) => fc.option(fc.integer({ min: host.oomScoreAdj, max: 1000 }), { nil: undefined });

// ---- sysctl ----

export const sysctlCase: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      'net.ipv4.ip_forward': fc.constantFrom('0', '1'),
      'net.ipv4.tcp_syncookies': fc.constantFrom('0', '1', '2'),
      'kernel.msgmax': fc.integer({ min: 1024, max: 65536 }).map(String),
      'kernel.shmmni': fc.integer({ min: 256, max: 8192 }).map(String),
    },
    { requiredKeys: [] },
  )
  .filter((s) => Object.keys(s).length > 0);

// ---- devices ----

export interface DeviceCase {
  path: string;
  /** 1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom */
  minor: 3 | 5 | 7 | 8 | 9;
  fileMode: number;
  uid: number;
  gid: number;
}

export const devicesCase: fc.Arbitrary<DeviceCase[]> = fc.uniqueArray(
  fc.record({
    path: name.map((n) => `/dev/conf-${n}`),
    minor: fc.constantFrom(3 as const, 5 as const, 7 as const, 8 as const, 9 as const),
    fileMode: fc.constantFrom(0o666, 0o640, 0o600, 0o444),
    uid: fc.integer({ min: 0, max: 65534 }),
    gid: fc.integer({ min: 0, max: 65534 }),
  }),
  { maxLength: 3, selector: (d) => d.path },
);

/** config-linux.md's default devices, as type, major and minor. */
export const defaultDevices: Record<string, [string, number, number]> = {
  '/dev/null': ['char', 1, 3],
  '/dev/zero': ['char', 1, 5],
  '/dev/full': ['char', 1, 7],
  '/dev/random': ['char', 1, 8],
  '/dev/urandom': ['char', 1, 9],
  '/dev/tty': ['char', 5, 0],
};
