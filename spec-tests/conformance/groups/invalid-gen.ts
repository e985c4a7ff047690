import fc from 'fast-check';
import type { OciConfig } from '../bundle.js';
import { clauses, type Clause } from '../clauses.js';

/**
 * Invalid bundles, each a valid config with one thing wrong that a runtime cannot apply (or a
 * config.json that is not one), tagged with the sentence that makes refusing it a MUST. Pure:
 * a mutation maps a config to a config, or to the raw text written as config.json.
 */

export interface Mutation {
  kind: string;
  /** Shown in the counter-example. */
  detail: string;
  clause: Clause;
  /** A new config, a raw config.json text, or null for no config.json at all. */
  apply: (config: OciConfig) => OciConfig | string | null;
}

const clone = (c: OciConfig): OciConfig => structuredClone(c);
const edit = (f: (c: OciConfig) => void) => (c: OciConfig) => {
  const copy = clone(c);
  f(copy);
  return copy;
};

/**
 * A value of every JSON type but one. Not null: Go and other decoders read null as "absent",
 * which for a required field is a different problem from a value of the wrong type.
 */
const wrongValue = (not: 'string' | 'number' | 'array' | 'object') =>
  fc.constantFrom<unknown>(...[['a string', 'string'], [7, 'number'], [['x'], 'array'], [{ x: 1 }, 'object'], [true, 'boolean']].filter(([, t]) => t !== not).map(([v]) => v));

/** Fields whose type the schema fixes, and what their type is. */
const typedFields: { path: string[]; type: 'string' | 'number' | 'array' | 'object' }[] = [
  { path: ['process', 'args'], type: 'array' },
  { path: ['process', 'cwd'], type: 'string' },
  { path: ['process', 'env'], type: 'array' },
  { path: ['process', 'user', 'uid'], type: 'number' },
  { path: ['process', 'user', 'gid'], type: 'number' },
  { path: ['process', 'user'], type: 'object' },
  { path: ['root', 'path'], type: 'string' },
  { path: ['root'], type: 'object' },
  { path: ['mounts'], type: 'array' },
  { path: ['linux', 'namespaces'], type: 'array' },
  { path: ['hostname'], type: 'string' },
];

function setPath(config: OciConfig, path: string[], value: unknown): void {
  let node = config as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1)!] = value;
}

const wrongType: fc.Arbitrary<Mutation> = fc
  .constantFrom(...typedFields)
  .chain((field) => wrongValue(field.type).map((value) => ({ field, value })))
  .map(({ field, value }) => ({
    kind: 'wrong type',
    detail: `${field.path.join('.')} = ${JSON.stringify(value)} (must be ${field.type === 'array' ? 'an array' : `a ${field.type}`})`,
    clause: clauses.createCannotApply,
    apply: edit((c) => setPath(c, field.path, value)),
  }));

const notJson: fc.Arbitrary<Mutation> = fc.constantFrom('{', '', 'null', '[]', '{"ociVersion": "1.0.2",}', 'ociVersion: 1.0.2').map((text) => ({
  kind: 'config.json is not a config object',
  detail: JSON.stringify(text),
  clause: clauses.bundleConfig,
  apply: () => text,
}));

const noConfig: fc.Arbitrary<Mutation> = fc.constant({ kind: 'no config.json', detail: 'the bundle has a rootfs but no config.json', clause: clauses.bundleConfig, apply: () => null });

const namespaceTypes = ['pid', 'network', 'ipc', 'uts', 'mount'];
const duplicateNamespace: fc.Arbitrary<Mutation> = fc.constantFrom(...namespaceTypes).map((type) => ({
  kind: 'duplicate namespace',
  detail: `linux.namespaces lists ${type} twice`,
  clause: clauses.namespacesDuplicate,
  apply: edit((c) => c.linux!.namespaces!.push({ type })),
}));

/** /proc/self/ns/uts is a UTS namespace whoever opens it: never one of the type asked for. */
const wrongNamespacePath: fc.Arbitrary<Mutation> = fc.constantFrom('network', 'ipc', 'pid').map((type) => ({
  kind: 'namespace path of another type',
  detail: `linux.namespaces ${type} with path /proc/self/ns/uts`,
  clause: clauses.namespacesPath,
  apply: edit((c) => {
    c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === type ? { type, path: '/proc/self/ns/uts' } : n));
  }),
}));

const missingNamespacePath: fc.Arbitrary<Mutation> = fc.tuple(fc.constantFrom('network', 'ipc', 'uts'), fc.stringMatching(/^[a-z0-9]{4,10}$/)).map(([type, name]) => ({
  kind: 'namespace path that does not exist',
  detail: `linux.namespaces ${type} with path /run/berth-conformance-none/${name}`,
  clause: clauses.namespacesPath,
  apply: edit((c) => {
    c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === type ? { type, path: `/run/berth-conformance-none/${name}` } : n));
  }),
}));

/** Limits a runtime cannot apply: unknown or repeated types, soft above hard, hard above the host's. */
function badRlimit(hostNofileHard: number | null): fc.Arbitrary<Mutation> {
  const cases: fc.Arbitrary<{ detail: string; rlimits: { type: string; soft: number; hard: number }[] }>[] = [
    fc.stringMatching(/^RLIMIT_[A-Z]{3,8}$/).filter((t) => !knownRlimits.includes(t)).map((type) => ({ detail: `unknown type ${type}`, rlimits: [{ type, soft: 1, hard: 1 }] })),
    fc.constantFrom('RLIMIT_NOFILE', 'RLIMIT_CORE').map((type) => ({ detail: `${type} twice`, rlimits: [{ type, soft: 64, hard: 64 }, { type, soft: 128, hard: 128 }] })),
    fc.integer({ min: 33, max: 4096 }).map((hard) => ({ detail: `RLIMIT_NOFILE soft ${hard + 1} above hard ${hard}`, rlimits: [{ type: 'RLIMIT_NOFILE', soft: hard + 1, hard }] })),
  ];
  if (hostNofileHard !== null) {
    cases.push(fc.integer({ min: hostNofileHard + 1, max: hostNofileHard * 4 }).map((hard) => ({ detail: `RLIMIT_NOFILE hard ${hard} above the host's ${hostNofileHard} (raising it needs CAP_SYS_RESOURCE)`, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard }] })));
  }
  return fc.oneof(...cases).map(({ detail, rlimits }) => ({ kind: 'rlimit that cannot be applied', detail, clause: clauses.processRlimitsInvalid, apply: edit((c) => (c.process!.rlimits = rlimits)) }));
}
const knownRlimits = ['RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS', 'RLIMIT_MEMLOCK', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK'];

const missingRoot: fc.Arbitrary<Mutation> = fc.stringMatching(/^[a-z0-9]{3,10}$/).map((name) => ({
  kind: 'root.path does not exist',
  detail: `root.path ${name}-missing`,
  clause: clauses.rootPathExists,
  apply: edit((c) => (c.root = { ...c.root!, path: `${name}-missing` })),
}));

const unknownMountType: fc.Arbitrary<Mutation> = fc.stringMatching(/^[a-z]{4,10}$/).map((name) => ({
  kind: 'mount of a filesystem type the kernel does not have',
  detail: `mounts + {type: "berth${name}fs", destination: /mnt}`,
  clause: clauses.mountsApplied,
  apply: edit((c) => c.mounts!.push({ destination: '/mnt', type: `berth${name}fs`, source: 'none' })),
}));

const unknownSysctl: fc.Arbitrary<Mutation> = fc.stringMatching(/^[a-z]{4,10}$/).map((name) => ({
  kind: 'sysctl the kernel does not have',
  detail: `linux.sysctl kernel.berth_${name} = 1`,
  clause: clauses.createCannotApply,
  apply: edit((c) => (c.linux!.sysctl = { [`kernel.berth_${name}`]: '1' })),
}));

export function mutations(hostNofileHard: number | null): fc.Arbitrary<Mutation> {
  return fc.oneof(notJson, noConfig, wrongType, duplicateNamespace, wrongNamespacePath, missingNamespacePath, badRlimit(hostNofileHard), missingRoot, unknownMountType, unknownSysctl);
}

/** Calls that lack what the operation needs: no id, an id no container has, a bundle that does not exist. */
export type BadCall =
  | { kind: 'no id'; op: 'create' | 'start' | 'state' | 'kill' | 'delete' }
  | { kind: 'unknown id'; op: 'start' | 'state' | 'kill' | 'delete'; id: string }
  | { kind: 'no bundle'; name: string };

export const badCalls: fc.Arbitrary<BadCall> = fc.oneof(
  fc.constantFrom('create', 'start', 'state', 'kill', 'delete').map((op) => ({ kind: 'no id' as const, op })),
  fc.tuple(fc.constantFrom('start', 'state', 'kill', 'delete'), fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/)).map(([op, id]) => ({ kind: 'unknown id' as const, op, id })),
  fc.stringMatching(/^[a-z0-9]{3,10}$/).map((name) => ({ kind: 'no bundle' as const, name })),
);

/** The arguments of a bad call (after --root), and the clause that requires an error; `id` makes a case's name a real id. */
export function badCallArgs(call: BadCall, caseDir: string, id: (name: string) => string = (n) => n): { args: string[]; clause: Clause } {
  switch (call.kind) {
    case 'no id': {
      const clause = { create: clauses.createArguments, start: clauses.startNoId, state: clauses.queryNoId, kill: clauses.killNoId, delete: clauses.deleteNoId }[call.op];
      return { args: call.op === 'create' ? ['create', '--bundle', caseDir] : [call.op], clause };
    }
    case 'unknown id': {
      const clause = { start: clauses.startNotCreated, state: clauses.queryUnknown, kill: clauses.killNotRunning, delete: clauses.deleteNotStopped }[call.op];
      return { args: call.op === 'kill' ? ['kill', id(call.id), 'KILL'] : [call.op, id(call.id)], clause };
    }
    case 'no bundle':
      return { args: ['create', '--bundle', `${caseDir}/${call.name}-missing`, id(call.name)], clause: clauses.createArguments };
  }
}
