import fc from 'fast-check';
import type { Hook, IdMapping, Linux, Process, Spec } from '../config.js';
import { hookKinds } from '../config.js';
import { pointerOf } from '../json-pointer.js';
import { namespaceTypes } from './arbitrary-config.js';

/**
 * Single, targeted breakages of a valid config.json. Each mutation changes the document so that
 * exactly one field becomes invalid and returns that field's JSON pointer (for a removed field,
 * the pointer of the missing field itself). `group` names the part of the document a mutation
 * touches: mutations whose groups are not nested in one another can be applied together and
 * keep their pointers (arrays are only appended to, or rebuilt inside their own group).
 */
export interface ConfigMutation {
  name: string;
  group: string;
  /** Mutates `doc` in place; `n` is a free random choice. Returns the pointer now broken. */
  apply(doc: Spec, n: number): string;
}

const capabilitySets = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
const pick = <T>(items: readonly T[], n: number): T => items[n % items.length]!;

const processOf = (doc: Spec): Process => doc.process!;
/** The same object, seen as untyped JSON, to put a wrong type in. */
const loose = (value: unknown) => value as Record<string, unknown>;
const linuxOf = (doc: Spec): Linux => (doc.linux ??= {});
const envOf = (doc: Spec): string[] => (processOf(doc).env ??= []);
const hooksOf = (doc: Spec, n: number): { kind: string; list: Hook[] } => {
  const kind = pick(hookKinds, n);
  const hooks = (doc.hooks ??= {});
  return { kind, list: (hooks[kind] ??= []) };
};
const mappingField = (n: number) => pick(['uidMappings', 'gidMappings'] as const, n);
const otherMappingField = (field: 'uidMappings' | 'gidMappings') => (field === 'uidMappings' ? 'gidMappings' : 'uidMappings');
const oneMapping = (): IdMapping[] => [{ containerID: 0, hostID: 1000, size: 1 }];

/** Push and return the pointer of the new item. */
function append<T>(list: T[], item: T, ...path: (string | number)[]): string {
  list.push(item);
  return pointerOf(...path, list.length - 1);
}

export const configMutations: readonly ConfigMutation[] = [
  // --- ociVersion
  { name: 'unsupported ociVersion', group: 'ociVersion', apply: (doc, n) => ((doc.ociVersion = pick(['2.0.0', '1.4.0', 'abc', '0.9.0', '1.0', 'v1.0.0', '1.0.0.0', ''], n)), '/ociVersion') },
  { name: 'ociVersion of the wrong type', group: 'ociVersion', apply: (doc) => ((loose(doc).ociVersion = 1.0), '/ociVersion') },
  { name: 'ociVersion removed', group: 'ociVersion', apply: (doc) => (delete (doc as Partial<Spec>).ociVersion, '/ociVersion') },

  // --- root
  { name: 'root removed', group: 'root', apply: (doc) => (delete doc.root, '/root') },
  { name: 'root.path removed', group: 'root', apply: (doc) => (delete (doc.root as Partial<Spec['root'] & object>).path, '/root/path') },
  { name: 'root.path empty', group: 'root', apply: (doc) => ((doc.root!.path = ''), '/root/path') },
  { name: 'root.readonly of the wrong type', group: 'root', apply: (doc) => ((loose(doc.root).readonly = 'yes'), '/root/readonly') },

  // --- top-level scalars and maps
  { name: 'hostname of the wrong type', group: 'hostname', apply: (doc) => ((loose(doc).hostname = 42), '/hostname') },
  {
    name: 'annotation value of the wrong type',
    group: 'annotations',
    apply: (doc, n) => {
      const key = pick(['x', 'org.example/key', 'a~b'], n);
      (doc.annotations ??= {})[key] = 1 as unknown as string;
      return pointerOf('annotations', key);
    },
  },
  { name: 'mounts of the wrong type', group: 'mounts', apply: (doc) => ((loose(doc).mounts = {}), '/mounts') },
  {
    name: 'mount without destination',
    group: 'mounts',
    apply: (doc) => `${append((doc.mounts ??= []), { type: 'tmpfs', source: 'tmpfs' } as never, 'mounts')}/destination`,
  },
  {
    name: 'mount with an empty destination',
    group: 'mounts',
    apply: (doc) => `${append((doc.mounts ??= []), { destination: '', type: 'tmpfs' }, 'mounts')}/destination`,
  },
  {
    name: 'mount destination with a NUL byte',
    group: 'mounts',
    apply: (doc) => `${append((doc.mounts ??= []), { destination: '/mnt/a\0b', type: 'tmpfs' }, 'mounts')}/destination`,
  },

  // --- process
  { name: 'process removed', group: 'process', apply: (doc) => (delete doc.process, '/process') },
  { name: 'process.cwd relative', group: 'process.cwd', apply: (doc, n) => ((processOf(doc).cwd = pick(['relative', 'work/dir', './x', '', '~/home'], n)), '/process/cwd') },
  { name: 'process.cwd removed', group: 'process.cwd', apply: (doc) => (delete (processOf(doc) as Partial<Process>).cwd, '/process/cwd') },
  { name: 'process.args empty', group: 'process.args', apply: (doc) => ((processOf(doc).args = []), '/process/args') },
  { name: 'process.args removed', group: 'process.args', apply: (doc) => (delete processOf(doc).args, '/process/args') },
  { name: 'process.args of the wrong type', group: 'process.args', apply: (doc) => ((loose(processOf(doc)).args = 'sh'), '/process/args') },
  {
    name: 'process.terminal of the wrong type',
    group: 'process.terminal',
    apply: (doc) => {
      delete processOf(doc).consoleSize;
      loose(processOf(doc)).terminal = 'yes';
      return '/process/terminal';
    },
  },
  {
    name: 'consoleSize without a terminal',
    group: 'process.terminal',
    apply: (doc) => {
      processOf(doc).terminal = false;
      processOf(doc).consoleSize = { height: 24, width: 80 };
      return '/process/consoleSize';
    },
  },
  {
    name: 'negative uid or gid',
    group: 'process.user',
    apply: (doc, n) => {
      const field = pick(['uid', 'gid'] as const, n);
      processOf(doc).user[field] = -1 - (n % 1000);
      return `/process/user/${field}`;
    },
  },
  { name: 'uid above uint32', group: 'process.user', apply: (doc) => ((processOf(doc).user.uid = 2 ** 32), '/process/user/uid') },
  { name: 'gid of the wrong type', group: 'process.user', apply: (doc) => ((loose(processOf(doc).user).gid = '0'), '/process/user/gid') },
  { name: 'umask above 0o7777', group: 'process.user', apply: (doc, n) => ((processOf(doc).user.umask = 0o10000 + (n % 1000)), '/process/user/umask') },
  {
    name: 'negative additional gid',
    group: 'process.user',
    apply: (doc) => append((processOf(doc).user.additionalGids ??= []), -5, 'process', 'user', 'additionalGids'),
  },
  {
    name: 'unknown capability',
    group: 'process.capabilities',
    apply: (doc, n) => {
      const set = pick(capabilitySets, n);
      const list = ((processOf(doc).capabilities ??= {})[set] ??= []);
      return append(list, pick(['CAP_BOGUS', 'chown', 'CAP_NET_ADMINN', 'NET_ADMIN', 'cap_chown', ''], n >> 3), 'process', 'capabilities', set);
    },
  },
  {
    name: 'env entry without =',
    group: 'process.env',
    apply: (doc, n) => append(envOf(doc), pick(['NOEQUALS', 'PATH', 'x y', ''], n), 'process', 'env'),
  },
  { name: 'env entry with an empty name', group: 'process.env', apply: (doc) => append(envOf(doc), '=value', 'process', 'env') },
  { name: 'env entry with a NUL byte', group: 'process.env', apply: (doc) => append(envOf(doc), 'A=b\0c', 'process', 'env') },
  { name: 'env of the wrong type', group: 'process.env', apply: (doc) => ((loose(processOf(doc)).env = 'A=b'), '/process/env') },
  {
    name: 'unknown rlimit type',
    group: 'process.rlimits',
    apply: (doc, n) => `${append((processOf(doc).rlimits ??= []), { type: pick(['RLIMIT_BOGUS', 'RLIMIT_NOFILES', 'RLIMIT_FILES'], n), soft: 1, hard: 1 }, 'process', 'rlimits')}/type`,
  },
  {
    name: 'rlimit type not matching the schema pattern',
    group: 'process.rlimits',
    apply: (doc, n) => `${append((processOf(doc).rlimits ??= []), { type: pick(['rlimit_nofile', 'NOFILE', 'RLIMIT_NO_FILE'], n), soft: 1, hard: 1 }, 'process', 'rlimits')}/type`,
  },
  {
    name: 'duplicate rlimit type',
    group: 'process.rlimits',
    apply: (doc, n) => {
      const rlimits = (processOf(doc).rlimits ??= []);
      if (rlimits.length === 0) rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 });
      return `${append(rlimits, { ...pick(rlimits, n) }, 'process', 'rlimits')}/type`;
    },
  },
  {
    name: 'rlimit soft above hard',
    group: 'process.rlimits',
    apply: (doc, n) => {
      const rlimits = (processOf(doc).rlimits ??= []);
      if (rlimits.length === 0) return `${append(rlimits, { type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }, 'process', 'rlimits')}/soft`;
      const i = n % rlimits.length;
      const hard = rlimits[i]!.hard;
      rlimits[i]!.soft = typeof hard === 'bigint' ? hard + 1n : hard + 1;
      return `/process/rlimits/${i}/soft`;
    },
  },
  {
    name: 'rlimit missing hard',
    group: 'process.rlimits',
    apply: (doc, n) => {
      const rlimits = (processOf(doc).rlimits ??= []);
      if (rlimits.length === 0) return `${append(rlimits, { type: 'RLIMIT_NOFILE', soft: 1 } as never, 'process', 'rlimits')}/hard`;
      const i = n % rlimits.length;
      delete (rlimits[i] as Partial<(typeof rlimits)[number]>).hard;
      return `/process/rlimits/${i}/hard`;
    },
  },
  {
    name: 'oomScoreAdj out of range',
    group: 'process.oomScoreAdj',
    apply: (doc, n) => ((processOf(doc).oomScoreAdj = (n % 2 === 0 ? 1 : -1) * (1001 + (n % 5000))), '/process/oomScoreAdj'),
  },
  { name: 'oomScoreAdj not an integer', group: 'process.oomScoreAdj', apply: (doc) => ((processOf(doc).oomScoreAdj = 1.5), '/process/oomScoreAdj') },
  {
    name: 'ioPriority out of range',
    group: 'process.ioPriority',
    apply: (doc, n) => ((processOf(doc).ioPriority = { class: 'IOPRIO_CLASS_BE', priority: n % 2 === 0 ? 8 : -1 }), '/process/ioPriority/priority'),
  },
  { name: 'ioPriority unknown class', group: 'process.ioPriority', apply: (doc) => ((processOf(doc).ioPriority = { class: 'IOPRIO_CLASS_FAST' }), '/process/ioPriority/class') },

  // --- hooks
  {
    name: 'relative hook path',
    group: 'hooks',
    apply: (doc, n) => {
      const { kind, list } = hooksOf(doc, n);
      return `${append(list, { path: pick(['hook', 'bin/hook', './hook'], n >> 3) }, 'hooks', kind)}/path`;
    },
  },
  {
    name: 'hook without path',
    group: 'hooks',
    apply: (doc, n) => {
      const { kind, list } = hooksOf(doc, n);
      return `${append(list, { args: ['hook'] } as never, 'hooks', kind)}/path`;
    },
  },
  {
    name: 'hook timeout below 1',
    group: 'hooks',
    apply: (doc, n) => {
      const { kind, list } = hooksOf(doc, n);
      return `${append(list, { path: '/bin/hook', timeout: 0 }, 'hooks', kind)}/timeout`;
    },
  },
  {
    name: 'hook env entry without =',
    group: 'hooks',
    apply: (doc, n) => {
      const { kind, list } = hooksOf(doc, n);
      return `${append(list, { path: '/bin/hook', env: ['NOEQUALS'] }, 'hooks', kind)}/env/0`;
    },
  },

  // --- linux
  {
    name: 'duplicate namespace type',
    group: 'linux.namespaces',
    apply: (doc, n) => {
      const namespaces = (linuxOf(doc).namespaces ??= []);
      if (namespaces.length === 0) namespaces.push({ type: 'pid' });
      // A copy keeps the original's path: a second *new* user namespace would also demand mappings.
      return `${append(namespaces, { ...pick(namespaces, n) }, 'linux', 'namespaces')}/type`;
    },
  },
  {
    name: 'unknown namespace type',
    group: 'linux.namespaces',
    apply: (doc, n) => `${append((linuxOf(doc).namespaces ??= []), { type: pick(['net', 'foo', 'USER', ''], n) }, 'linux', 'namespaces')}/type`,
  },
  {
    name: 'relative namespace path',
    group: 'linux.namespaces',
    apply: (doc, n) => {
      const namespaces = (linuxOf(doc).namespaces ??= []);
      const present = new Set(namespaces.map((ns) => ns.type));
      const absent = namespaceTypes.filter((t) => t !== 'user' && !present.has(t));
      if (absent.length > 0) return `${append(namespaces, { type: pick(absent, n), path: 'proc/1/ns/x' }, 'linux', 'namespaces')}/path`;
      const i = namespaces.findIndex((ns) => ns.type !== 'user');
      namespaces[i]!.path = 'proc/1/ns/x';
      return `/linux/namespaces/${i}/path`;
    },
  },
  {
    name: 'id mappings without a user namespace',
    group: 'linux.namespaces',
    apply: (doc, n) => {
      const linux = linuxOf(doc);
      const field = mappingField(n);
      linux.namespaces = (linux.namespaces ?? []).filter((ns) => ns.type !== 'user');
      delete linux[otherMappingField(field)];
      linux[field] = oneMapping();
      return `/linux/${field}`;
    },
  },
  {
    name: 'new user namespace without id mappings',
    group: 'linux.namespaces',
    apply: (doc, n) => {
      const linux = linuxOf(doc);
      const field = mappingField(n);
      linux.namespaces = [...(linux.namespaces ?? []).filter((ns) => ns.type !== 'user'), { type: 'user' }];
      linux[otherMappingField(field)] = oneMapping();
      delete linux[field];
      return `/linux/${field}`;
    },
  },
  {
    name: 'id mapping of size 0',
    group: 'linux.namespaces',
    apply: (doc, n) => {
      const linux = linuxOf(doc);
      const field = mappingField(n);
      const namespaces = (linux.namespaces ??= []);
      // Joining an existing user namespace (a path) needs no mappings, but allows them.
      if (!namespaces.some((ns) => ns.type === 'user')) namespaces.push({ type: 'user', path: '/proc/1/ns/user' });
      return `${append((linux[field] ??= []), { containerID: 0, hostID: 1000, size: 0 }, 'linux', field)}/size`;
    },
  },
  {
    name: 'id mapping missing hostID',
    group: 'linux.namespaces',
    apply: (doc, n) => {
      const linux = linuxOf(doc);
      const field = mappingField(n);
      const namespaces = (linux.namespaces ??= []);
      if (!namespaces.some((ns) => ns.type === 'user')) namespaces.push({ type: 'user', path: '/proc/1/ns/user' });
      return `${append((linux[field] ??= []), { containerID: 0, size: 1 } as never, 'linux', field)}/hostID`;
    },
  },
  {
    name: 'timeOffsets without a time namespace',
    group: 'linux.namespaces',
    apply: (doc) => {
      const linux = linuxOf(doc);
      linux.namespaces = (linux.namespaces ?? []).filter((ns) => ns.type !== 'time');
      linux.timeOffsets = { monotonic: { secs: 1 } };
      return '/linux/timeOffsets';
    },
  },
  {
    name: 'device missing major or minor',
    group: 'linux.devices',
    apply: (doc, n) => {
      const missing = pick(['major', 'minor'] as const, n);
      const device = { type: pick(['c', 'b', 'u'], n >> 1), path: '/dev/thing', major: 1, minor: 3 };
      delete device[missing];
      return `${append((linuxOf(doc).devices ??= []), device, 'linux', 'devices')}/${missing}`;
    },
  },
  {
    name: 'relative device path',
    group: 'linux.devices',
    apply: (doc) => `${append((linuxOf(doc).devices ??= []), { type: 'c', path: 'dev/null', major: 1, minor: 3 }, 'linux', 'devices')}/path`,
  },
  {
    name: 'unknown device type',
    group: 'linux.devices',
    apply: (doc, n) => `${append((linuxOf(doc).devices ??= []), { type: pick(['x', 'cb', 'C'], n), path: '/dev/null', major: 1, minor: 3 }, 'linux', 'devices')}/type`,
  },
  {
    name: 'device fileMode above 0o777',
    group: 'linux.devices',
    apply: (doc) => `${append((linuxOf(doc).devices ??= []), { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o1000 }, 'linux', 'devices')}/fileMode`,
  },
  {
    name: 'relative masked path',
    group: 'linux.maskedPaths',
    apply: (doc, n) => append((linuxOf(doc).maskedPaths ??= []), pick(['proc/kcore', '', './sys'], n), 'linux', 'maskedPaths'),
  },
  { name: 'maskedPaths of the wrong type', group: 'linux.maskedPaths', apply: (doc) => ((loose(linuxOf(doc)).maskedPaths = '/proc/kcore'), '/linux/maskedPaths') },
  {
    name: 'relative readonly path',
    group: 'linux.readonlyPaths',
    apply: (doc) => append((linuxOf(doc).readonlyPaths ??= []), 'proc/sys', 'linux', 'readonlyPaths'),
  },
  {
    name: 'invalid sysctl name',
    group: 'linux.sysctl',
    apply: (doc, n) => {
      const key = pick(['net..ipv4', 'net/ipv4/../x', 'a b', 'kernel.$x'], n);
      (linuxOf(doc).sysctl ??= {})[key] = '1';
      return pointerOf('linux', 'sysctl', key);
    },
  },
  {
    name: 'sysctl value of the wrong type',
    group: 'linux.sysctl',
    apply: (doc) => (((linuxOf(doc).sysctl ??= {})['net.ipv4.ip_forward'] = 1 as unknown as string), '/linux/sysctl/net.ipv4.ip_forward'),
  },
  {
    name: 'cgroupsPath with a .. component',
    group: 'linux.cgroupsPath',
    apply: (doc, n) => ((linuxOf(doc).cgroupsPath = pick(['/a/../b', '..', 'berth/..', '../x'], n)), '/linux/cgroupsPath'),
  },
  {
    name: 'memory limit of the wrong type',
    group: 'linux.resources',
    apply: (doc) => ((linuxOf(doc).resources = { memory: { limit: '1G' } } as never), '/linux/resources/memory/limit'),
  },
  {
    name: 'seccomp without defaultAction',
    group: 'linux.seccomp',
    apply: (doc) => ((linuxOf(doc).seccomp = { syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] } as never), '/linux/seccomp/defaultAction'),
  },
  {
    name: 'seccomp rule without syscall names',
    group: 'linux.seccomp',
    apply: (doc) => ((linuxOf(doc).seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }), '/linux/seccomp/syscalls/0/names'),
  },
  {
    name: 'rootfsPropagation not in the enum',
    group: 'linux.rootfsPropagation',
    apply: (doc) => ((linuxOf(doc).rootfsPropagation = 'rshared'), '/linux/rootfsPropagation'),
  },
];

/** Whether two groups overlap: equal, or one nested in the other (`process` and `process.cwd`). */
export function groupsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

/** One mutation and its random choice. */
export const arbitraryMutation: fc.Arbitrary<{ mutation: ConfigMutation; n: number }> = fc.record({
  mutation: fc.constantFrom(...configMutations),
  n: fc.nat(),
});

/** Several mutations touching disjoint parts of the document (at least two). */
export const arbitraryIndependentMutations: fc.Arbitrary<{ mutation: ConfigMutation; n: number }[]> = fc
  .uniqueArray(arbitraryMutation, { minLength: 2, maxLength: 8, selector: (m) => m.mutation.group })
  .map((all) => all.filter((m, i) => all.slice(0, i).every((earlier) => !groupsOverlap(earlier.mutation.group, m.mutation.group))))
  .filter((chosen) => chosen.length >= 2);

/** Apply mutations in order to a deep copy of `config`; the pointers each one broke, in order. */
export function applyMutations(config: Spec, mutations: readonly { mutation: ConfigMutation; n: number }[]): { doc: Spec; pointers: string[] } {
  const doc = structuredClone(config);
  const pointers = mutations.map(({ mutation, n }) => mutation.apply(doc, n));
  return { doc, pointers };
}
