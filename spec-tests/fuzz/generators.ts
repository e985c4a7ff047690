import fc from 'fast-check';
import { nested, raw, str, toNode, type JsonNode, type Path } from './json-text.js';

/**
 * The fuzzer's cases: edits to a valid config.json (the suite's probe bundle) and the command
 * line around it. Pure data, so fast-check shrinks them (fewer edits, simpler values) and a
 * counter-example prints as a list of what was done. Nothing here may touch the host through
 * the runtime: no namespace path is one that exists (joining the host's own mount or UTS
 * namespace would change the host), hooks name programs that do not exist, bind sources lie
 * in the bundle, and sysctls are namespaced or unknown.
 */

export interface ConfigEdit {
  /** Shown in the counter-example. */
  what: string;
  path: Path;
  action: 'set' | 'remove' | 'duplicate';
  value?: JsonNode;
}

/** A command line: `{bundle}`, `{id}` and `{dir}` are filled in by the case (its bundle, its container id, its directory). */
export interface CallTemplate {
  what: string;
  args: string[];
}

/** config.json as something else than the case's text: endless (/dev/zero), empty, a directory, a FIFO nobody writes. */
export type ConfigFile = 'text' | 'dev-zero' | 'dev-null' | 'directory' | 'fifo' | 'missing';

export interface FuzzCase {
  edits: ConfigEdit[];
  call: CallTemplate;
  file: ConfigFile;
}

const set = (what: string, path: Path, value: JsonNode): ConfigEdit => ({ what, path, action: 'set', value });

/** Integers at the edges: JSON's exact range (2^53), int64, uint64 and beyond, negative ones, and what is not an integer. */
export const edgeNumbers = [
  '0', '-1', '1', '4294967295', '4294967296', '-2147483649', '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740992', '-9007199254740993',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '18446744073709551615', '18446744073709551616',
  '36893488147419103232', '1e400', '-1e400', '1.5', '-0', '1e3', '0.0000001', '123456789012345678901234567890',
];

const unicodeStrings = ['é', 'ß', '日本語', '😀', '\u202e', '\ufeff', '\u200b', 'a\u0000b', '\u0000', '\ud800', 'a\nb', ' ', '', '\t', '%s%n', '$(id)', '..', '.', '/', 'ÿ'.repeat(300)];

/** Strings that are wrong somewhere: unicode, NUL bytes, control characters, empty, long. */
const weirdString: fc.Arbitrary<JsonNode> = fc.oneof(
  fc.constantFrom(...unicodeStrings).map(str),
  fc.integer({ min: 256, max: 200_000 }).map((n) => str('x'.repeat(n))),
  fc.string({ unit: 'binary', maxLength: 12 }).map(str),
);

/** A value of every JSON type, to put where another is wanted. */
const anyType: fc.Arbitrary<JsonNode> = fc.constantFrom<JsonNode>(
  { kind: 'null' }, { kind: 'bool', value: true }, { kind: 'bool', value: false }, raw('0'), raw('-1'), raw('1.5'), str(''), str('x'),
  { kind: 'array', items: [] }, { kind: 'array', items: [raw('1')] }, { kind: 'object', entries: [] }, { kind: 'object', entries: [['x', raw('1')]] },
);

const numberPaths: Path[] = [
  ['process', 'user', 'uid'], ['process', 'user', 'gid'], ['process', 'user', 'umask'], ['process', 'user', 'additionalGids', 0],
  ['process', 'oomScoreAdj'], ['process', 'rlimits', 0, 'soft'], ['process', 'rlimits', 0, 'hard'],
  ['linux', 'resources', 'memory', 'limit'], ['linux', 'resources', 'memory', 'swap'], ['linux', 'resources', 'pids', 'limit'],
  ['linux', 'resources', 'cpu', 'shares'], ['linux', 'resources', 'cpu', 'quota'], ['linux', 'resources', 'cpu', 'period'],
  ['process', 'consoleSize', 'height'], ['linux', 'devices', 0, 'major'], ['linux', 'devices', 0, 'minor'], ['linux', 'devices', 0, 'fileMode'],
  ['linux', 'uidMappings', 0, 'hostID'], ['hooks', 'prestart', 0, 'timeout'],
];
const stringPaths: Path[] = [
  ['ociVersion'], ['hostname'], ['domainname'], ['root', 'path'], ['process', 'cwd'], ['process', 'args', 0], ['process', 'args', 1],
  ['process', 'env', 0], ['process', 'env', 2], ['linux', 'namespaces', 0, 'type'], ['linux', 'maskedPaths', 0], ['linux', 'readonlyPaths', 0],
  ['mounts', 0, 'destination'], ['mounts', 1, 'type'], ['mounts', 1, 'options', 0], ['process', 'capabilities', 'bounding', 0],
  ['process', 'rlimits', 0, 'type'], ['annotations', 'org.example/x'], ['linux', 'rootfsPropagation'], ['process', 'apparmorProfile'],
];
const containerPaths: Path[] = [
  [], ['process'], ['process', 'user'], ['process', 'args'], ['process', 'env'], ['process', 'capabilities'], ['process', 'rlimits'], ['root'],
  ['mounts'], ['linux'], ['linux', 'namespaces'], ['linux', 'resources'], ['linux', 'sysctl'], ['annotations'], ['hooks'],
];
const anyPath = fc.constantFrom(...numberPaths, ...stringPaths, ...containerPaths.filter((p) => p.length > 0));
const show = (path: Path) => (path.length === 0 ? '(the document)' : path.join('.'));
const short = (node: JsonNode) => {
  const text = node.kind === 'raw' ? node.text : node.kind === 'string' ? JSON.stringify(node.value) : JSON.stringify(node);
  return text.length > 40 ? `${text.slice(0, 30)}… (${text.length} chars)` : text;
};

const hugeNumber = fc.tuple(fc.constantFrom(...numberPaths), fc.constantFrom(...edgeNumbers)).map(([path, n]) => set(`${show(path)} = ${n}`, path, raw(n)));
const wrongType = fc.tuple(anyPath, anyType).map(([path, v]) => set(`${show(path)} = ${short(v)}`, path, v));
const strangeString = fc.tuple(fc.constantFrom(...stringPaths), weirdString).map(([path, v]) => set(`${show(path)} = ${short(v)}`, path, v));
const longArray = fc
  .tuple(fc.constantFrom<Path>(['process', 'args'], ['process', 'env'], ['process', 'user', 'additionalGids'], ['linux', 'maskedPaths'], ['mounts'], ['process', 'rlimits'], ['linux', 'namespaces']), fc.integer({ min: 1000, max: 50_000 }))
  .map(([path, n]) => {
    const item = path.at(-1) === 'additionalGids' ? '1' : path.at(-1) === 'env' ? '"A=1"' : path.at(-1) === 'args' || path.at(-1) === 'maskedPaths' ? '"/x"' : '{"type":"pid"}';
    return set(`${show(path)} = ${n} items`, path, raw(`[${Array(n).fill(item).join(',')}]`));
  });
const deep = fc
  .tuple(anyPath, fc.constantFrom(64, 1000, 10_000, 100_000, 1_000_000), fc.constantFrom<'array' | 'object'>('array', 'object'))
  .map(([path, depth, shape]) => set(`${show(path)} = ${shape}s nested ${depth} deep`, path, nested(depth, shape)));
const duplicate = fc
  .constantFrom<[Path, string, JsonNode]>(
    [[], 'ociVersion', str('0.1.0')], [[], 'process', { kind: 'null' }], [['process', 'user'], 'uid', raw('1000')], [['process', 'user'], 'uid', raw('-1')],
    [['process'], 'args', toNode(['/nonexistent'])], [['process'], 'cwd', str('relative')], [['root'], 'path', str('no-such-rootfs')], [[], 'hostname', str('dup')],
    [['linux'], 'namespaces', toNode([{ type: 'pid' }, { type: 'pid' }])], [['process'], 'noNewPrivileges', str('yes')],
  )
  .map(([path, key, value]) => ({ what: `${show([...path, key])} written twice (the second ${short(value)})`, path, action: 'duplicate' as const, value: { kind: 'object' as const, entries: [[key, value] as [string, JsonNode]] } }));
const remove = anyPath.map((path): ConfigEdit => ({ what: `${show(path)} removed`, path, action: 'remove' }));
const unknownField = fc.tuple(fc.constantFrom<Path>([], ['process'], ['linux'], ['root'], ['process', 'user']), fc.constantFrom('berthFuzz', '', '\u0000', 'é', '__proto__', 'constructor')).map(([path, key]) => set(`unknown field ${show([...path, JSON.stringify(key)])}`, [...path, key], raw('1')));

/** Valid values the probe can observe: a case made only of these must run and show them. */
const valid = fc.oneof(
  fc.integer({ min: 0, max: 65534 }).map((uid) => set(`process.user.uid = ${uid}`, ['process', 'user', 'uid'], raw(String(uid)))),
  fc.integer({ min: 0, max: 65534 }).map((gid) => set(`process.user.gid = ${gid}`, ['process', 'user', 'gid'], raw(String(gid)))),
  fc.array(fc.integer({ min: 0, max: 65534 }), { maxLength: 4 }).map((gids) => set(`process.user.additionalGids = ${JSON.stringify(gids)}`, ['process', 'user', 'additionalGids'], toNode(gids))),
  fc.integer({ min: 0, max: 0o777 }).map((m) => set(`process.user.umask = 0${m.toString(8)}`, ['process', 'user', 'umask'], raw(String(m)))),
  fc.constantFrom('/', '/tmp', '/tmp/', '/proc', '/new/dir').map((cwd) => set(`process.cwd = ${cwd}`, ['process', 'cwd'], str(cwd))),
  fc.stringMatching(/^[a-z0-9-]{1,63}$/).map((h) => set(`hostname = ${h}`, ['hostname'], str(h))),
  fc.tuple(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.constantFrom('', 'é', '日本', '😀', 'a=b', ' x ', 'x'.repeat(1000))).map(([k, v]) => set(`process.env += ${k}=${short(str(v))}`, ['process', 'env', 2], str(`${k}=${v}`))),
  fc.constantFrom('é', '--help', '', ' ', 'x'.repeat(5000)).map((a) => set(`process.args += ${short(str(a))}`, ['process', 'args', 2], str(a))),
  fc.integer({ min: 0, max: 1000 }).map((v) => set(`process.oomScoreAdj = ${v}`, ['process', 'oomScoreAdj'], raw(String(v)))),
  fc.boolean().map((ro) => set(`root.readonly = ${ro}`, ['root', 'readonly'], { kind: 'bool', value: ro })),
);

/**
 * rlimit types, each with the least a payload needs to run under it: a smaller limit is the
 * config's own choice (RLIMIT_STACK 0 kills any program at exec, NOFILE 0 leaves it no fd to
 * open the exec fifo with, as with runc, FSIZE 0 kills the probe as it writes its report to a
 * file), nothing the runtime could get right or wrong. Every
 * type still gets the edge numbers at or above that, and the ones no kernel takes (negative,
 * not integers, 2^64 and beyond), which the runtime must refuse.
 */
const rlimitFloors: Record<string, number> = {
  RLIMIT_NOFILE: 64, RLIMIT_STACK: 1 << 20, RLIMIT_AS: 1 << 28, RLIMIT_DATA: 1 << 28, RLIMIT_CPU: 10, RLIMIT_CORE: 0, RLIMIT_NPROC: 0, RLIMIT_MSGQUEUE: 0,
  RLIMIT_FSIZE: 1 << 20, RLIMIT_LOCKS: 0, RLIMIT_SIGPENDING: 0, RLIMIT_MEMLOCK: 0, RLIMIT_BOGUS: 0, rlimit_nofile: 0,
};
const atOrAbove = (floor: number) => edgeNumbers.filter((n) => floor === 0 || !(Number(n) < floor));
/** An rlimit: often within what a VM without CAP_SYS_RESOURCE can grant (so it is observed), sometimes at the edges. */
const rlimit = fc
  .constantFrom(...Object.keys(rlimitFloors))
  .chain((type) => {
    const floor = rlimitFloors[type]!;
    const value = (span: number) => fc.oneof(fc.integer({ min: floor, max: floor + span }).map(String), fc.constantFrom(...atOrAbove(floor)));
    return fc.tuple(fc.constant(type), value(4096), value(8192));
  })
  .map(([type, soft, hard]) => set(`process.rlimits += ${type} ${soft}/${hard}`, ['process', 'rlimits', 0], raw(`{"type":${JSON.stringify(type)},"soft":${soft},"hard":${hard}}`)));

const mountOptions = ['ro', 'rw', 'nosuid', 'noexec', 'nodev', 'rbind', 'bind', 'size=99999999999999999999', 'size=-1', 'mode=9999', 'mode=0755', 'uid=-1', 'nr_inodes=18446744073709551616', 'tmpcopyup', 'idmap', 'rprivate', 'bogus', '', 'é'];
const mount = fc
  .record({
    destination: fc.constantFrom('/mnt', '/mnt/x', 'relative', '/proc/sys', '/', '/dev/null', '/tmp/é', `/${'d'.repeat(300)}`),
    type: fc.constantFrom('tmpfs', 'proc', 'bind', 'berthbogusfs', 'sysfs', 'mqueue', ''),
    source: fc.constantFrom('tmpfs', 'none', 'volume', 'missing-volume', '/nonexistent-berth-fuzz'),
    options: fc.subarray(mountOptions, { maxLength: 4 }),
  })
  .map((m) => set(`mounts += ${JSON.stringify(m)}`, ['mounts', 99], toNode(m)));

const sysctl = fc
  .tuple(fc.constantFrom('net.ipv4.ip_forward', 'net.ipv4.berth_fuzz', 'net.core.somaxconn', 'kernel.berth_fuzz', 'kernel.msgmax', 'net..x', 'net/ipv4/../x', 'é'), fc.constantFrom('1', '0', '', '99999999999999999999', '-1', 'abc', 'é', '1\n2'))
  .map(([k, v]) => set(`linux.sysctl[${JSON.stringify(k)}] = ${JSON.stringify(v)}`, ['linux', 'sysctl', k], str(v)));

const namespace = fc
  .tuple(fc.constantFrom('pid', 'network', 'user', 'cgroup', 'time', 'ipc', 'uts', 'mount', 'net', 'PID', ''), fc.constantFrom(undefined, '/nonexistent-berth-fuzz/ns', 'relative/ns', '/proc/self/fd/99', ''))
  .map(([type, path]) => set(`linux.namespaces += ${type}${path === undefined ? '' : ` at ${JSON.stringify(path)}`}`, ['linux', 'namespaces', 99], toNode(path === undefined ? { type } : { type, path })));

/** Hooks run on the host: only programs that do not exist. */
const hook = fc
  .tuple(fc.constantFrom('prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'), fc.constantFrom('/nonexistent-berth-fuzz/hook', 'relative-hook', ''), fc.constantFrom(undefined, '0', '-1', '1', '18446744073709551616'))
  .map(([kind, path, timeout]) => set(`hooks.${kind} += ${JSON.stringify(path)}${timeout === undefined ? '' : ` timeout ${timeout}`}`, ['hooks', kind, 0], raw(`{"path":${JSON.stringify(path)}${timeout === undefined ? '' : `,"timeout":${timeout}`}}`)));

const device = fc
  .tuple(fc.constantFrom('c', 'b', 'p', 'u', 'x'), fc.constantFrom('/dev/fuzz', 'dev/rel', '/dev/null', '/dev/../etc/x'), fc.constantFrom('1', '4095', '4096', '-1', '4294967296'), fc.constantFrom('3', '1048575', '1048576', '-1'))
  .map(([type, path, major, minor]) => set(`linux.devices += ${type} ${path} ${major}:${minor}`, ['linux', 'devices', 0], raw(`{"type":"${type}","path":${JSON.stringify(path)},"major":${major},"minor":${minor}}`)));

const mappings = fc
  .tuple(fc.constantFrom('0', '1000', '4294967295', '-1'), fc.constantFrom('100000', '0', '4294967295', '18446744073709551616'), fc.constantFrom('1', '65536', '0', '4294967296'))
  .map(([c, h, n]) => [set(`linux.namespaces += user`, ['linux', 'namespaces', 99], toNode({ type: 'user' })), ...['uidMappings', 'gidMappings'].map((f) => set(`linux.${f} = ${c} ${h} ${n}`, ['linux', f], raw(`[{"containerID":${c},"hostID":${h},"size":${n}}]`)))]);

export const configEdit: fc.Arbitrary<ConfigEdit> = fc.oneof(
  { arbitrary: valid, weight: 6 },
  { arbitrary: rlimit, weight: 3 },
  { arbitrary: hugeNumber, weight: 3 },
  { arbitrary: wrongType, weight: 2 },
  { arbitrary: strangeString, weight: 2 },
  { arbitrary: longArray, weight: 1 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: duplicate, weight: 1 },
  { arbitrary: remove, weight: 1 },
  { arbitrary: unknownField, weight: 1 },
  { arbitrary: mount, weight: 2 },
  { arbitrary: sysctl, weight: 1 },
  { arbitrary: namespace, weight: 1 },
  { arbitrary: hook, weight: 1 },
  { arbitrary: device, weight: 1 },
);

/** Container ids: the case's own (`{id}`), or odd spellings of it. Never '', '.' or '..' (the driver refuses those anyway). */
const id = fc.constantFrom('{id}', '{id}', '{id}', '{id}é', '{id} x', `{id}${'a'.repeat(300)}`, '-{id}', '{id}/x', '.{id}', '{id}\n', '{id}..', '{id}:{id}', '{id}$x', '{id}\u202e');
const preserveFds = fc.constantFrom('99999999999', '-1', '1e3', '0x10', ' ', '18446744073709551616', '2', '0', '1048576');
const createFlag = fc.oneof(
  fc.constantFrom(['--frobnicate'], ['-Z'], ['--no-pivot'], ['--no-new-keyring'], ['--console-socket', '/nonexistent-berth-fuzz.sock'], ['--pid-file', '{dir}/pid'], ['--pid-file', 'relative.pid'], ['--pid-file', '/nonexistent-berth-fuzz/x/pid'], ['--pid-file', '{dir}'], ['--bundle', '/nonexistent-berth-fuzz'], ['--preserve-fds']),
  preserveFds.map((n) => ['--preserve-fds', n]),
  preserveFds.map((n) => [`--preserve-fds=${n}`]),
);
const globalFlag = fc.constantFrom(['--systemd-cgroup'], ['--log', '/nonexistent-berth-fuzz/log'], ['--log-format', 'yaml'], ['--log-format', 'json'], ['--frob-global'], ['--debug']);

export const call: fc.Arbitrary<CallTemplate> = fc.oneof(
  { arbitrary: fc.constant<CallTemplate>({ what: 'create', args: ['create', '--bundle', '{bundle}', '{id}'] }), weight: 8 },
  {
    arbitrary: fc.tuple(fc.array(globalFlag, { maxLength: 1 }), fc.array(createFlag, { minLength: 1, maxLength: 2 }), id).map(([globals, flags, cid]) => {
      const args = [...globals.flat(), 'create', '--bundle', '{bundle}', ...flags.flat(), cid];
      return { what: args.join(' '), args };
    }),
    weight: 3,
  },
  { arbitrary: id.map((cid) => ({ what: `create ${cid}`, args: ['create', '--bundle', '{bundle}', cid] })), weight: 1 },
  { arbitrary: fc.constant<CallTemplate>({ what: 'create without an id', args: ['create', '--bundle', '{bundle}'] }), weight: 1 },
  {
    arbitrary: fc.tuple(fc.constantFrom<string[]>(['state'], ['start'], ['delete'], ['delete', '--force'], ['pause'], ['resume'], ['ps'], ['kill'], ['kill', '--all'], ['events', '--stats']), id, fc.constantFrom(undefined, '99999999999', '-1', 'KILL', '0', 'SIGRTMAX+1', ' ')).map(([verb, cid, extra]) => {
      const args = [...verb, cid, ...(verb[0] === 'kill' && extra !== undefined ? [extra] : [])];
      return { what: `${args.join(' ')} (no such container)`, args };
    }),
    weight: 1,
  },
);

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  edits: fc.oneof(fc.array(configEdit, { maxLength: 2 }), fc.array(configEdit, { minLength: 1, maxLength: 5 }), mappings.map((edits) => edits)),
  call,
  file: fc.oneof({ arbitrary: fc.constant<ConfigFile>('text'), weight: 200 }, { arbitrary: fc.constantFrom<ConfigFile>('dev-zero', 'dev-null', 'directory', 'missing'), weight: 3 }, { arbitrary: fc.constant<ConfigFile>('fifo'), weight: 1 }),
});

/** One line per case: what was done to the config, and the call. */
export function describeCase(c: FuzzCase): string {
  const config = c.file === 'text' ? (c.edits.length === 0 ? 'the base config' : c.edits.map((e) => e.what).join('; ')) : `config.json is ${c.file === 'missing' ? 'missing' : c.file === 'directory' ? 'a directory' : c.file === 'fifo' ? 'a FIFO nobody writes' : `a symlink to /dev/${c.file.slice(4)}`}`;
  return `${config} | ${c.call.what}`;
}
