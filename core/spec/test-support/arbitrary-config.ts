import fc from 'fast-check';
import { linuxCapabilities } from '../capabilities.js';
import type { Device, Hook, Hooks, IdMapping, Linux, Mount, Namespace, Process, Rlimit, Spec } from '../config.js';
import { hookKinds } from '../config.js';

/**
 * fast-check arbitraries for config.json documents that berth must accept: every value is
 * valid for the official v1.3.0 schema and for the semantic checks. Reused by any test that
 * needs "some valid config" (validation, planning, CLI `check`). Values are plain JSON
 * (round-tripped through JSON.stringify), so they can be written to a bundle as they are.
 */

/** Namespace types of runtime-spec v1.3.0 (config-linux.md). */
export const namespaceTypes = ['mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup', 'time'] as const;

/** setrlimit(2) resources, as the spec names them. */
export const rlimitTypes = [
  'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS', 'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS', 'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
] as const;

const capabilitySets = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
const mountTypes = ['bind', 'tmpfs', 'proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'overlay', 'none'] as const;
const mountOptions = [
  'rbind', 'bind', 'ro', 'rw', 'nosuid', 'noexec', 'nodev', 'relatime', 'strictatime', 'private', 'rprivate',
  'mode=755', 'size=65536k', 'newinstance', 'ptmxmode=0666', 'gid=5', 'idmap',
] as const;

const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
/** uint64 as JSON numbers can hold them exactly. */
const uint64 = fc.maxSafeNat();

/** One path component; may be `.` or `..`, which only cgroupsPath forbids. */
export const pathSegment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);

/** An absolute path: `/`, `/a`, `/a/b/c`, ... */
export const absolutePath: fc.Arbitrary<string> = fc
  .array(pathSegment, { maxLength: 4 })
  .map((segments) => `/${segments.join('/')}`);

/** Every ociVersion berth accepts: 1.0.0 to 1.3.x, with the pre-release and build suffixes runtimes write. */
export const ociVersion: fc.Arbitrary<string> = fc
  .record({
    minor: fc.integer({ min: 0, max: 3 }),
    patch: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.nat()),
    pre: fc.option(fc.oneof(fc.constantFrom('dev', 'rc.1', 'rc1', 'alpha.2', 'beta'), fc.stringMatching(/^[0-9A-Za-z.-]{1,10}$/)), { nil: undefined, freq: 2 }),
    build: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.stringMatching(/^[0-9A-Za-z.-]{1,10}$/), weight: 1 }),
  })
  .map(({ minor, patch, pre, build }) => `1.${minor}.${patch}${pre === undefined ? '' : `-${pre}`}${build === undefined ? '' : `+${build}`}`);

/** `KEY=value`: a non-empty name, any value without a NUL byte (it may itself contain `=`). */
export const envEntry: fc.Arbitrary<string> = fc
  .tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/), fc.string({ maxLength: 20 }))
  .filter(([, value]) => !value.includes('\0'))
  .map(([key, value]) => `${key}=${value}`);

const rlimits: fc.Arbitrary<Rlimit[]> = fc.shuffledSubarray([...rlimitTypes]).chain((types) =>
  fc.tuple(...types.map((type) =>
    fc.tuple(uint64, uint64).map(([a, b]): Rlimit => ({ type, soft: Math.min(a, b), hard: Math.max(a, b) })),
  )),
);

const capabilities = fc.record(
  Object.fromEntries(capabilitySets.map((set) => [set, fc.subarray([...linuxCapabilities])])) as Record<(typeof capabilitySets)[number], fc.Arbitrary<string[]>>,
  { requiredKeys: [] },
);

export const arbitraryProcess: fc.Arbitrary<Process> = fc
  .record(
    {
      terminal: fc.boolean(),
      user: fc.record(
        {
          uid: uint32,
          gid: uint32,
          umask: fc.integer({ min: 0, max: 0o7777 }),
          additionalGids: fc.array(uint32, { maxLength: 4 }),
          username: fc.stringMatching(/^[a-z_][a-z0-9_-]{0,15}$/),
        },
        { requiredKeys: ['uid', 'gid'] },
      ),
      args: fc.array(fc.string({ maxLength: 16 }), { minLength: 1, maxLength: 5 }),
      env: fc.array(envEntry, { maxLength: 6 }),
      cwd: absolutePath,
      capabilities,
      rlimits,
      noNewPrivileges: fc.boolean(),
      oomScoreAdj: fc.integer({ min: -1000, max: 1000 }),
      apparmorProfile: fc.string({ maxLength: 16 }),
      ioPriority: fc.record({ class: fc.constantFrom('IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'), priority: fc.integer({ min: 0, max: 7 }) }),
      consoleSize: fc.record({ height: fc.integer({ min: 0, max: 500 }), width: fc.integer({ min: 0, max: 500 }) }),
    },
    { requiredKeys: ['user', 'args', 'cwd'] },
  )
  // consoleSize is only meaningful with a terminal.
  .map((process) => (process.consoleSize !== undefined && process.terminal !== true ? { ...process, terminal: true } : process));

export const arbitraryMount: fc.Arbitrary<Mount> = fc.record(
  {
    destination: absolutePath,
    type: fc.constantFrom(...mountTypes),
    source: fc.oneof(absolutePath, fc.constantFrom(...mountTypes)),
    options: fc.subarray([...mountOptions]),
  },
  { requiredKeys: ['destination'] },
);

export const arbitraryHook: fc.Arbitrary<Hook> = fc.record(
  {
    path: absolutePath,
    args: fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
    env: fc.array(envEntry, { maxLength: 3 }),
    timeout: fc.integer({ min: 1, max: 3600 }),
  },
  { requiredKeys: ['path'] },
);

export const arbitraryHooks: fc.Arbitrary<Hooks> = fc.record(
  Object.fromEntries(hookKinds.map((kind) => [kind, fc.array(arbitraryHook, { maxLength: 3 })])) as Record<(typeof hookKinds)[number], fc.Arbitrary<Hook[]>>,
  { requiredKeys: [] },
);

const annotations = fc.dictionary(
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,10}(\/[a-z0-9.-]{1,10})?$/),
  fc.string({ maxLength: 20 }),
  { maxKeys: 5, noNullPrototype: true },
);

const idMappings: fc.Arbitrary<IdMapping[]> = fc.array(
  fc.record({ containerID: uint32, hostID: uint32, size: fc.integer({ min: 1, max: 65536 }) }),
  { minLength: 1, maxLength: 3 },
);

/** Devices: c, b and u need major/minor; p (a FIFO) does not. */
export const arbitraryDevice: fc.Arbitrary<Device> = fc
  .record({
    type: fc.constantFrom('c', 'b', 'u', 'p'),
    path: fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).map((name) => `/dev/${name}`),
    major: fc.integer({ min: 0, max: 4095 }),
    minor: fc.integer({ min: 0, max: 1 << 20 }),
    fileMode: fc.option(fc.integer({ min: 0, max: 0o777 }), { nil: undefined }),
    uid: fc.option(uint32, { nil: undefined }),
    gid: fc.option(uint32, { nil: undefined }),
    numbersForFifo: fc.boolean(),
  })
  .map(({ numbersForFifo, major, minor, ...device }) =>
    device.type === 'p' && !numbersForFifo ? device : { ...device, major, minor },
  );

const sysctlName = fc.array(fc.stringMatching(/^[a-z0-9_]{1,10}$/), { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));

/** cgroupfs paths (absolute or relative) and systemd's `slice:prefix:name`; never a `..` component. */
const cgroupsPath = fc.oneof(
  fc.array(fc.stringMatching(/^[a-z0-9_-]{1,10}$/), { minLength: 1, maxLength: 3 }).chain((segments) =>
    fc.constantFrom(`/${segments.join('/')}`, segments.join('/')),
  ),
  fc.tuple(fc.stringMatching(/^[a-z0-9-]{1,10}\.slice$/), fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{1,12}$/)).map((p) => p.join(':')),
);

const namespaces: fc.Arbitrary<Namespace[]> = fc.shuffledSubarray([...namespaceTypes]).chain((types) =>
  fc.tuple(...types.map((type) =>
    // Mostly new namespaces; sometimes joining an existing one by path.
    fc
      .oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.constant(`/proc/1/ns/${type === 'network' ? 'net' : type}`), weight: 1 })
      .map((path): Namespace => (path === undefined ? { type } : { type, path })),
  )),
);

export const arbitraryLinux: fc.Arbitrary<Linux> = fc
  .record(
    {
      namespaces,
      uidMappings: idMappings,
      gidMappings: idMappings,
      timeOffsets: fc.record(
        { monotonic: fc.record({ secs: fc.integer({ min: -1e9, max: 1e9 }), nanosecs: fc.integer({ min: 0, max: 999_999_999 }) }, { requiredKeys: [] }), boottime: fc.record({ secs: fc.integer({ min: -1e9, max: 1e9 }) }) },
        { requiredKeys: [] },
      ),
      devices: fc.array(arbitraryDevice, { maxLength: 4 }),
      maskedPaths: fc.array(absolutePath, { maxLength: 4 }),
      readonlyPaths: fc.array(absolutePath, { maxLength: 4 }),
      sysctl: fc.dictionary(sysctlName, fc.stringMatching(/^[0-9a-z ]{0,8}$/), { maxKeys: 4, noNullPrototype: true }),
      cgroupsPath,
      resources: fc.record(
        {
          memory: fc.record({ limit: fc.integer({ min: -1, max: 2 ** 40 }) }),
          pids: fc.record({ limit: fc.integer({ min: -1, max: 1 << 20 }) }),
        },
        { requiredKeys: [] },
      ),
      rootfsPropagation: fc.constantFrom('private', 'shared', 'slave', 'unbindable'),
      mountLabel: fc.string({ maxLength: 12 }),
    },
    { requiredKeys: [] },
  )
  .map((linux) => {
    const types = new Set((linux.namespaces ?? []).map((ns) => ns.type));
    const newUserNamespace = (linux.namespaces ?? []).some((ns) => ns.type === 'user' && ns.path === undefined);
    const out: Linux = { ...linux };
    // id mappings exactly when a new user namespace is created; time offsets only with a time namespace.
    if (newUserNamespace) {
      out.uidMappings = linux.uidMappings ?? [{ containerID: 0, hostID: 1000, size: 1 }];
      out.gidMappings = linux.gidMappings ?? [{ containerID: 0, hostID: 1000, size: 1 }];
    } else {
      delete out.uidMappings;
      delete out.gidMappings;
    }
    if (!types.has('time')) delete out.timeOffsets;
    return out;
  });

/** A valid config.json document, as varied as the spec allows where berth has rules. */
export const arbitraryValidConfig: fc.Arbitrary<Spec> = fc
  .record(
    {
      ociVersion,
      process: arbitraryProcess,
      root: fc.record({ path: fc.oneof(fc.constant('rootfs'), absolutePath), readonly: fc.boolean() }, { requiredKeys: ['path'] }),
      hostname: fc.stringMatching(/^[a-z0-9-]{0,20}$/),
      domainname: fc.stringMatching(/^[a-z0-9.-]{0,20}$/),
      mounts: fc.array(arbitraryMount, { maxLength: 5 }),
      hooks: arbitraryHooks,
      annotations,
      linux: arbitraryLinux,
    },
    { requiredKeys: ['ociVersion', 'process', 'root'] },
  )
  .map((spec) => JSON.parse(JSON.stringify(spec)) as Spec);
