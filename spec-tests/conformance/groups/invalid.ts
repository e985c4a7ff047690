import fc from 'fast-check';
import { existsSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseConfig, writeBundle, type OciConfig } from '../bundle.js';
import { clauses } from '../clauses.js';
import { expectThat, property, type CaseContext } from '../property.js';
import { caseProcesses, cgroupDirsOf, hostMountsUnder, stateEntries } from '../residue.js';
import { sleep } from '../runtime-driver.js';
import { describeCall, expectRefused } from './calls.js';
import { badCallArgs, badCalls, mutations, type BadCall, type Mutation } from './invalid-gen.js';
import { probeArgs, show } from './probe-run.js';

/**
 * Invalid input: a config a runtime cannot apply, or a call that lacks what the operation needs,
 * must fail (non-zero exit, a message on stderr) and leave nothing behind (runtime.md Errors:
 * "as if the operation were never attempted"): no state entry, no process, no cgroup, no mount.
 */

/** The cgroup directories a cgroupsPath would be on this host: one per mounted hierarchy. */
function cgroupCandidates(cgroupsPath: string): string[] {
  const mountPoints = new Set(cgroupDirsOf('self').map((d) => d.replace(/^(\/sys\/fs\/cgroup\/[^/]+).*$/, '$1')));
  return [...mountPoints].map((m) => join(m, cgroupsPath));
}

/** Whatever a refused call left: a state entry, the container's id still known, processes, mounts, cgroup directories. */
async function leftovers(ctx: CaseContext, id: string | undefined, cgroupDirs: readonly string[]): Promise<string[]> {
  let processes = caseProcesses(ctx.dir);
  // A runtime's init may take a moment to die after create has reported the error.
  for (let i = 0; i < 20 && processes.length > 0; i++) {
    await sleep(50);
    processes = caseProcesses(ctx.dir);
  }
  const found = [
    ...processes.map((p) => `process ${p.pid} (${p.command})`),
    ...hostMountsUnder(ctx.dir).map((m) => `mount ${m}`),
    ...cgroupDirs.filter((d) => existsSync(d)).map((d) => `cgroup ${d}`),
  ];
  if (id !== undefined) {
    found.push(...stateEntries(ctx.runtime.root, ctx.runtime.id(id)).map((p) => `state entry ${p}`));
    const state = await ctx.runtime.state(id);
    if (state.exitCode === 0) found.push(`state ${id} succeeds: ${state.stdout.trim()}`);
  } else if (existsSync(ctx.runtime.root)) {
    found.push(...readdirSync(ctx.runtime.root).map((name) => `state entry ${join(ctx.runtime.root, name)}`));
  }
  return found;
}

/** rmdir a case's cgroup directories, deepest first: cleanup for a runtime that left them. */
function removeCgroupDirs(dirs: readonly string[]): void {
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(dir);
    } catch {
      // absent, or not empty because a process is still in it (killed by the runner's cleanup)
    }
  }
}

interface ConfigCase {
  mutation: Mutation;
  /** Makes the case's cgroupsPath its own. */
  nonce: string;
}

export const invalidConfig = property({
  id: 'invalid/config-refused',
  group: 'invalid',
  title: 'a config the runtime cannot apply (not JSON, wrong types, repeated or mistyped namespaces, impossible rlimits, missing root, unknown filesystem or sysctl) fails create and leaves nothing',
  clauses: [clauses.createCannotApply, clauses.bundleConfig, clauses.namespacesDuplicate, clauses.namespacesPath, clauses.processRlimitsInvalid, clauses.rootPathExists, clauses.mountsApplied, clauses.errorsNoEffect, clauses.errorMessage],
  arbitrary: (assets) => fc.record({ mutation: mutations(assets.host.hardLimits.RLIMIT_NOFILE ?? null), nonce: fc.stringMatching(/^[a-z0-9]{8}$/) }),
  describe: (c: ConfigCase) => `${c.mutation.kind}: ${c.mutation.detail}`,
  check: async (c: ConfigCase, ctx) => {
    const cgroupsPath = `/berth-conformance-${c.nonce}/invalid`;
    const base: OciConfig = baseConfig(ctx.assets.ociVersion, probeArgs());
    base.linux!.cgroupsPath = cgroupsPath;
    // The container's own cgroup must go; the parent the runtime may have made on the way is
    // shared ground (runc and crun leave it after a successful delete too), removed by the suite.
    const cgroupDirs = cgroupCandidates(cgroupsPath);
    const scaffolding = cgroupCandidates(`/berth-conformance-${c.nonce}`);
    const mutated = c.mutation.apply(base);
    writeBundle(ctx.dir, typeof mutated === 'object' && mutated !== null ? mutated : base, ctx.assets);
    if (typeof mutated === 'string') writeFileSync(join(ctx.dir, 'config.json'), mutated);
    if (mutated === null) rmSync(join(ctx.dir, 'config.json'));
    try {
      const created = await ctx.runtime.create('invalid', ctx.dir);
      expectRefused(created, c.mutation.clause, `create with ${c.mutation.detail}`);
      const left = await leftovers(ctx, 'invalid', cgroupDirs);
      expectThat(left.length === 0, clauses.createCannotApply, () => `create failed (${describeCall(created)}) but left: ${left.join('; ')}`);
    } finally {
      removeCgroupDirs([...cgroupDirs, ...scaffolding]);
    }
  },
});

export const invalidArguments = property({
  id: 'invalid/arguments',
  group: 'invalid',
  title: 'a call without an id, with an id no container has, or with a bundle that does not exist fails and leaves nothing',
  clauses: [clauses.createArguments, clauses.queryNoId, clauses.startNoId, clauses.killNoId, clauses.deleteNoId, clauses.queryUnknown, clauses.startNotCreated, clauses.killNotRunning, clauses.deleteNotStopped, clauses.errorMessage],
  arbitrary: () => badCalls,
  describe: (c: BadCall) => (c.kind === 'no id' ? `${c.op} without an id` : c.kind === 'unknown id' ? `${c.op} ${c.id}, which no container has` : `create ${c.name} with a bundle that does not exist`),
  check: async (c: BadCall, ctx) => {
    writeBundle(ctx.dir, baseConfig(ctx.assets.ociVersion, probeArgs()), ctx.assets);
    const { args, clause } = badCallArgs(c, ctx.dir, (name) => ctx.runtime.id(name));
    const call = await ctx.runtime.invoke(args);
    expectRefused(call, clause, args.join(' '));
    const left = await leftovers(ctx, c.kind === 'no bundle' ? c.name : c.kind === 'unknown id' ? c.id : undefined, []);
    expectThat(left.length === 0, clauses.errorsNoEffect, () => `${args.join(' ')} failed but left: ${left.join('; ')}`);
  },
});

const signalNames = new Set(
  ['ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ', 'RTMIN', 'RTMAX', 'UNUSED'].flatMap((n) => [n, `SIG${n}`]),
);

/** Signal names and numbers no Linux signal has (0 is the null signal and valid; 1 to 64 are signals). */
const badSignals = fc.oneof(
  fc.constantFrom('SIGBOGUS', 'KILLL', 'TERM2', 'SIG', '-9', '9x', '65', '100', 'SIGRTMAX+1'),
  fc.stringMatching(/^[A-Z]{4,9}$/).filter((s) => !signalNames.has(s)),
);

export const invalidSignal = property({
  id: 'invalid/kill-bad-signal',
  group: 'invalid',
  title: 'kill with a signal that does not exist fails and leaves the running container as it was',
  clauses: [clauses.killSends, clauses.errorsNoEffect, clauses.errorMessage],
  needsBusybox: true,
  arbitrary: () => badSignals,
  describe: (s: string) => `kill c1 ${show(s)} on a running container`,
  check: async (signal: string, ctx) => {
    writeBundle(ctx.dir, baseConfig(ctx.assets.ociVersion, ['/bin/sh', '-c', 'while :; do /bin/sleep 1; done']), ctx.assets);
    const rt = ctx.runtime;
    for (const call of [await rt.create('c1', ctx.dir), await rt.start('c1')]) {
      expectThat(call.exitCode === 0, clauses.startRuns, () => `${call.args[0]} of a plain container failed: ${describeCall(call)}`);
    }
    const before = await rt.state('c1');
    const killed = await rt.kill('c1', signal);
    expectRefused(killed, clauses.killSends, `kill c1 ${signal}`);
    const after = await rt.state('c1');
    expectThat(after.stdout === before.stdout && after.exitCode === 0, clauses.errorsNoEffect, () => `kill c1 ${signal} failed but the state changed: ${show(before.stdout.trim())} became ${show(after.stdout.trim())}`);
    await rt.kill('c1', 'KILL');
    await rt.waitForStatus('c1', ['stopped']);
    await rt.delete('c1');
  },
});

interface EscapingId {
  op: 'state' | 'start' | 'kill' | 'delete';
  absolute: boolean;
}

export const idEscapingRoot = property({
  id: 'invalid/id-naming-a-path',
  group: 'invalid',
  title: 'an operation on an id that names a path out of the runtime\'s state directory ("../victim", or absolute) fails and leaves that directory alone',
  clauses: [clauses.queryUnknown, clauses.startNotCreated, clauses.killNotRunning, clauses.deleteNotStopped, clauses.deleteResources, clauses.errorsNoEffect],
  arbitrary: () => fc.record({ op: fc.constantFrom<EscapingId['op']>('state', 'start', 'kill', 'delete'), absolute: fc.boolean() }),
  describe: (c: EscapingId) => `${c.op} ${c.absolute ? '/absolute/path/of/victim' : '../victim'}, where no container has that id and victim is a directory beside --root`,
  check: async (c: EscapingId, ctx) => {
    const victim = join(ctx.dir, 'victim');
    writeBundle(victim, baseConfig(ctx.assets.ociVersion, probeArgs()), ctx.assets);
    const id = c.absolute ? victim : '../victim';
    const call = await ctx.runtime.invoke(c.op === 'kill' ? ['kill', id, 'KILL'] : [c.op, id]);
    const clause = { state: clauses.queryUnknown, start: clauses.startNotCreated, kill: clauses.killNotRunning, delete: clauses.deleteNotStopped }[c.op];
    expectThat(existsSync(join(victim, 'config.json')), clauses.deleteResources, () => `${c.op} ${id} (${describeCall(call)}) removed ${victim}, a directory no container made`);
    expectRefused(call, clause, `${c.op} ${id}, which no container has`);
  },
});

export const startWithoutProcess = property({
  id: 'invalid/start-without-process',
  group: 'invalid',
  title: 'a config without process may be created, but start fails',
  clauses: [clauses.startNoProcess, clauses.errorMessage],
  arbitrary: () => fc.constant(null),
  describe: () => 'config.json without process',
  check: async (_c: null, ctx) => {
    const config = baseConfig(ctx.assets.ociVersion, probeArgs());
    delete config.process;
    writeBundle(ctx.dir, config, ctx.assets);
    const created = await ctx.runtime.create('c1', ctx.dir);
    if (created.exitCode !== 0) return;
    const started = await ctx.runtime.start('c1');
    expectRefused(started, clauses.startNoProcess, 'start of a container whose config has no process');
  },
});
