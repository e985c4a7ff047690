import fc from 'fast-check';
import { linkSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { baseConfig, hookKinds, writeBundle, type HookKind, type OciHook } from '../bundle.js';
import { clauses } from '../clauses.js';
import { expectThat, property, Violation, type CaseContext } from '../property.js';
import { identify, isAlive, stateEntries } from '../residue.js';
import { sleep, type Invocation } from '../runtime-driver.js';
import { describeCall } from './calls.js';
import { countsCase, expectedAfterFailure, expectedOrder, failureCase, label, phaseOf, type FailureCase, type HookCounts } from './hooks-expect.js';
import { show } from './probe-run.js';

/**
 * Hooks: each hook is one busybox script that appends a line to a log the host and the
 * container share (label, mount namespace, its pid, the state JSON it read on stdin), sleeps
 * if asked, and exits with the status asked. The program appends "program" to the same log.
 */

/** What a hook does besides recording itself. */
interface HookBehaviour {
  exitCode?: number;
  sleepSeconds?: number;
  timeout?: number;
}

const recorder = `#!/bin/busybox sh
# record LABEL LOG [EXIT [SLEEP]]: appends label, mount namespace, own pid and the state JSON (stdin)
# to LOG, then exits with EXIT, or becomes a sleep of SLEEP seconds (exec: aborting the hook's
# process aborts the sleep, whatever the runtime does about a hook's children).
state=$(/bin/busybox cat | /bin/busybox tr '\\n' ' ')
printf '%s\\t%s\\t%s\\t%s\\n' "$1" "$(/bin/busybox readlink /proc/self/ns/mnt)" "$$" "$state" >> "$2"
[ "\${4:-0}" = 0 ] || exec /bin/busybox sleep "$4"
exit "\${3:-0}"
`;

/** Where the log is for a hook of each kind: startContainer resolves and runs inside the container. */
const insideContainer = (kind: HookKind) => kind === 'startContainer';

interface HookBundle {
  dir: string;
  log: string;
}

/**
 * A bundle whose program appends "program" to the log and then sleeps (so poststart sees it
 * running), with the hooks asked for. The host-side recorder runs with the bundle's own busybox
 * (hooks/busybox), the container-side one (for startContainer) with the rootfs's.
 */
function hookBundle(ctx: CaseContext, counts: HookCounts, behaviour: (kind: HookKind, i: number) => HookBehaviour = () => ({})): HookBundle {
  const dir = ctx.dir;
  const log = join(dir, 'hooklog', 'log');
  const config = baseConfig(ctx.assets.ociVersion, ['/bin/sh', '-c', 'echo program >> /hooklog/log; exec /bin/sleep 600']);
  config.mounts!.push({ destination: '/hooklog', type: 'none', source: join(dir, 'hooklog'), options: ['bind', 'rw'] });
  const hostScript = join(dir, 'hooks', 'record');
  config.hooks = Object.fromEntries(
    hookKinds
      .filter((k) => counts[k] > 0)
      .map((kind) => [
        kind,
        Array.from({ length: counts[kind] }, (_, i): OciHook => {
          const b = behaviour(kind, i);
          const inside = insideContainer(kind);
          return {
            path: inside ? '/hooks/record' : hostScript,
            args: ['record', label(kind, i), inside ? '/hooklog/log' : log, String(b.exitCode ?? 0), String(b.sleepSeconds ?? 0)],
            env: ['PATH=/bin'],
            ...(b.timeout === undefined ? {} : { timeout: b.timeout }),
          };
        }),
      ]),
  );
  writeBundle(dir, config, ctx.assets, [
    { path: 'hooklog' },
    { path: 'hooklog/log', content: '', mode: 0o666 },
    { path: 'hooks/record', content: recorder.replace('#!/bin/busybox', `#!${join(dir, 'hooks', 'busybox')}`), mode: 0o755 },
    { path: 'rootfs/hooks/record', content: recorder, mode: 0o755 },
  ]);
  linkSync(join(dir, 'rootfs', 'bin', 'busybox'), join(dir, 'hooks', 'busybox'));
  ctx.runtime.shell(': > "$here/hooklog/log"  # each replay starts with an empty hook log');
  return { dir: realpathSync(dir), log };
}

interface LogLine {
  label: string;
  mountNamespace: string;
  pid: number;
  state: string;
}

function readLog(log: string): LogLine[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [l, mountNamespace = '', pid = '', ...state] = line.split('\t');
      return { label: l, mountNamespace, pid: Number(pid), state: state.join('\t') };
    });
}

const hookLabels = (lines: LogLine[]) => lines.map((l) => l.label).filter((l) => l !== 'program');
const describeCounts = (c: HookCounts) => hookKinds.filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`).join(', ');

/** Runs create, start, kill and delete, returning the log after each; fails on any refused step. */
async function fullLifecycle(ctx: CaseContext, bundle: HookBundle): Promise<{ after: Record<'create' | 'start' | 'delete', LogLine[]>; pid: number; containerMountNamespace: string }> {
  const rt = ctx.runtime;
  const created = await rt.create('c1', bundle.dir);
  expectThat(created.exitCode === 0, clauses.createApplies, () => `create with succeeding hooks failed: ${describeCall(created)}`);
  const state = (await rt.stateOf('c1')).state;
  const pid = Number(state?.pid);
  const containerMountNamespace = readlinkSync(`/proc/${pid}/ns/mnt`);
  const afterCreate = readLog(bundle.log);
  const started = await rt.start('c1');
  expectThat(started.exitCode === 0, clauses.startRuns, () => `start with succeeding hooks failed: ${describeCall(started)}`);
  const afterStart = readLog(bundle.log);
  await rt.kill('c1', 'KILL');
  await rt.waitForStatus('c1', ['stopped']);
  const deleted = await rt.delete('c1');
  expectThat(deleted.exitCode === 0, clauses.deleteResources, () => `delete with succeeding hooks failed: ${describeCall(deleted)}`);
  return { after: { create: afterCreate, start: afterStart, delete: readLog(bundle.log) }, pid, containerMountNamespace };
}

export const hooksOrder = property({
  id: 'hooks/order',
  group: 'hooks',
  title: 'hooks run in the listed order, each kind in its operation: prestart, createRuntime, createContainer in create; startContainer before the program and poststart in start; poststop in delete',
  clauses: [clauses.hooksOrder, clauses.hooksWhen],
  needsBusybox: true,
  arbitrary: () => countsCase,
  describe: describeCounts,
  check: async (counts, ctx) => {
    const bundle = hookBundle(ctx, counts);
    const { after } = await fullLifecycle(ctx, bundle);
    const want = expectedOrder(counts);
    expectThat(show(hookLabels(after.create)) === show(want.create), clauses.hooksWhen, () => `when create returned, the hooks that had run were ${show(hookLabels(after.create))}; create must run ${show(want.create)}`);
    const startLines = after.start.slice(after.create.length);
    expectThat(show(hookLabels(startLines)) === show(want.start), clauses.hooksWhen, () => `start ran the hooks ${show(hookLabels(startLines))}; it must run ${show(want.start)}`);
    const program = startLines.findIndex((l) => l.label === 'program');
    const lastStartContainer = startLines.map((l) => l.label).lastIndexOf(label('startContainer', counts.startContainer - 1));
    if (counts.startContainer > 0) expectThat(program === -1 || program > lastStartContainer, clauses.hooksWhen, () => `the program ran before the startContainer hooks: ${show(startLines.map((l) => l.label))}`);
    const deleteLines = after.delete.slice(after.start.length).filter((l) => l.label !== 'program');
    expectThat(show(hookLabels(deleteLines)) === show(want.delete), clauses.hooksWhen, () => `delete ran the hooks ${show(hookLabels(deleteLines))}; it must run ${show(want.delete)}`);
  },
});

/**
 * The statuses a hook of each kind may see: runtime.md's State for the lifecycle step it runs at.
 * The create-phase hooks (steps 3-5) run after step 2, where `creating` ends, but inside the create
 * operation, which `created` says is finished: the spec allows either reading there.
 */
const statusSeen: Record<HookKind, readonly string[]> = {
  prestart: ['creating', 'created'],
  createRuntime: ['creating', 'created'],
  createContainer: ['creating', 'created'],
  startContainer: ['created'],
  poststart: ['running'],
  poststop: ['stopped'],
};

export const hooksState = property({
  id: 'hooks/state-on-stdin',
  group: 'hooks',
  title: 'each hook reads the state on stdin: the container\'s id, its bundle, the status of its lifecycle step, and the pid as seen from the namespace it runs in',
  clauses: [clauses.hooksState, clauses.stateStatus, clauses.hookStatePid, clauses.stateFields],
  needsBusybox: true,
  arbitrary: () => countsCase,
  describe: describeCounts,
  check: async (counts, ctx) => {
    const bundle = hookBundle(ctx, counts);
    const { after, pid } = await fullLifecycle(ctx, bundle);
    for (const line of after.delete.filter((l) => l.label !== 'program')) {
      const kind = line.label.split('#')[0] as HookKind;
      let state: Record<string, unknown>;
      try {
        state = JSON.parse(line.state) as Record<string, unknown>;
      } catch {
        throw new Violation(clauses.hooksState, `${line.label} read ${show(line.state.slice(0, 200))} on stdin, not a state JSON`);
      }
      const id = ctx.runtime.id('c1');
      expectThat(state.id === id && state.bundle === bundle.dir && typeof state.ociVersion === 'string', clauses.hooksState, () => `${line.label} read ${show(state)}: id must be ${show(id)}, bundle ${show(bundle.dir)}, ociVersion a string`);
      expectThat(statusSeen[kind].includes(state.status as string), clauses.stateStatus, () => `${line.label} read status ${show(state.status)}; at its lifecycle step the container is ${statusSeen[kind].join(' or ')}`);
      if (kind === 'poststop') continue;
      // A new pid namespace: inside it the container process is 1.
      const wanted = insideContainer(kind) || kind === 'createContainer' ? 1 : pid;
      expectThat(state.pid === wanted, clauses.hookStatePid, () => `${line.label} (${insideContainer(kind) || kind === 'createContainer' ? 'container' : 'runtime'} namespace) read pid ${show(state.pid)}; the container process is ${wanted} there`);
    }
  },
});

export const hooksNamespaces = property({
  id: 'hooks/namespaces',
  group: 'hooks',
  title: 'prestart, createRuntime, poststart and poststop hooks run in the runtime\'s mount namespace; createContainer and startContainer in the container\'s',
  clauses: [clauses.hooksNamespaces],
  needsBusybox: true,
  arbitrary: () => countsCase,
  describe: describeCounts,
  check: async (counts, ctx) => {
    const bundle = hookBundle(ctx, counts);
    const { after, containerMountNamespace } = await fullLifecycle(ctx, bundle);
    const runtimeMountNamespace = readlinkSync('/proc/self/ns/mnt');
    for (const line of after.delete.filter((l) => l.label !== 'program')) {
      const kind = line.label.split('#')[0] as HookKind;
      const inContainer = kind === 'createContainer' || kind === 'startContainer';
      const wanted = inContainer ? containerMountNamespace : runtimeMountNamespace;
      expectThat(line.mountNamespace === wanted, clauses.hooksNamespaces, () => `${line.label} ran in mount namespace ${line.mountNamespace}; the ${inContainer ? 'container' : 'runtime'}'s is ${wanted}`);
    }
  },
});

const failureClause = (kind: HookKind) =>
  kind === 'poststop' ? clauses.lifecyclePoststopFails : kind === 'poststart' ? clauses.lifecyclePoststartFails : kind === 'startContainer' ? clauses.lifecycleStartContainerFails : clauses.lifecycleCreateHookFails;

function hookFailure(kind: HookKind) {
  return property({
    id: `hooks/${kind}-failure`,
    group: 'hooks',
    title:
      kind === 'poststop'
        ? 'a failing poststop hook only warns: delete succeeds and the remaining poststop hooks run'
        : `a failing ${kind} hook fails ${phaseOf[kind]}, runs no later hook, ${kind === 'poststart' ? 'stops the program' : 'never runs the program'}, destroys the container and runs the poststop hooks`,
    clauses: [failureClause(kind), clauses.lifecycleDestroy],
    needsBusybox: true,
    arbitrary: () => failureCase(kind),
    describe: (c: FailureCase) => `${describeCounts(c.counts)}; ${label(kind, c.failing)} exits ${c.exitCode}`,
    check: async (c: FailureCase, ctx) => {
      const bundle = hookBundle(ctx, c.counts, (k, i) => (k === kind && i === c.failing ? { exitCode: c.exitCode } : {}));
      const want = expectedAfterFailure(c.counts, kind, c.failing);
      const clause = failureClause(kind);
      const rt = ctx.runtime;
      let failing: Invocation | undefined;
      let containerPid: number | undefined;
      for (const op of ['create', 'start', 'delete'] as const) {
        if (op === 'delete') {
          await rt.kill('c1', 'KILL');
          await rt.waitForStatus('c1', ['stopped']);
        }
        const call = op === 'create' ? await rt.create('c1', bundle.dir) : op === 'start' ? await rt.start('c1') : await rt.delete('c1');
        if (op === 'create' && call.exitCode === 0) containerPid = Number((await rt.stateOf('c1')).state?.pid);
        if (op === want.operation) {
          failing = call;
          break;
        }
        if (call.exitCode !== 0 && hookLabels(readLog(bundle.log)).includes(label(kind, c.failing))) {
          throw new Violation(clauses.hooksWhen, `${label(kind, c.failing)} already ran during ${op}, which its failure failed (${describeCall(call)}); it belongs to ${want.operation}`);
        }
        expectThat(call.exitCode === 0, op === 'create' ? clauses.createApplies : clauses.startRuns, () => `${op} failed before the failing hook's operation: ${describeCall(call)}`);
      }
      const lines = readLog(bundle.log);
      // A poststop failure is about the poststop hooks only: hooks/order checks the others.
      const ran = hookLabels(lines).filter((l) => kind !== 'poststop' || l.startsWith('poststop#'));
      if (kind === 'poststop') want.ran = want.ran.filter((l) => l.startsWith('poststop#'));
      if (want.operationFails) expectThat(failing!.exitCode !== 0, clause, () => `${want.operation} exited 0 although ${label(kind, c.failing)} failed`);
      else expectThat(failing!.exitCode === 0, clause, () => `delete failed because a poststop hook failed: ${describeCall(failing!)}`);
      expectThat(show(ran) === show(want.ran), clause, () => `the hooks that ran were ${show(ran)}; ${want.ran.length === 0 ? 'none' : show(want.ran)} must have run by the time ${want.operation} returns`);
      const programRan = lines.some((l) => l.label === 'program');
      if (!want.programRuns) expectThat(!programRan, clause, () => `the program ran although ${label(kind, c.failing)} failed before it`);
      // Step 12: the container is destroyed: no state, no process.
      const state = await rt.state('c1');
      const process = containerPid === undefined ? undefined : identify(containerPid);
      const leftovers = [
        ...(state.exitCode === 0 ? [`state c1 still answers ${show(state.stdout.trim().slice(0, 200))}`] : []),
        ...stateEntries(rt.root, rt.id('c1')).map((p) => `state entry ${p}`),
        ...(process && isAlive(process) ? [`process ${process.pid}`] : []),
      ];
      expectThat(leftovers.length === 0, clauses.lifecycleDestroy, () => `after ${want.operation} returned, the container was not destroyed: ${leftovers.join('; ')}`);
    },
  });
}

export const hookFailures = hookKinds.map(hookFailure);

interface TimeoutCase {
  kind: 'prestart' | 'createRuntime' | 'poststart';
  timeout: number;
  /** Whether the hook outlives its timeout (it sleeps 30 s) or ends in time (it sleeps 0). */
  slow: boolean;
}

export const hooksTimeout = property({
  id: 'hooks/timeout',
  group: 'hooks',
  title: 'a hook that outlives its timeout is aborted and counts as failed; one that ends in time is not',
  clauses: [clauses.hooksTimeout, clauses.lifecycleCreateHookFails, clauses.lifecyclePoststartFails, clauses.hooksWhen],
  needsBusybox: true,
  arbitrary: () => fc.record({ kind: fc.constantFrom<TimeoutCase['kind']>('prestart', 'createRuntime', 'poststart'), timeout: fc.integer({ min: 1, max: 2 }), slow: fc.boolean() }),
  describe: (c: TimeoutCase) => `a ${c.kind} hook with timeout ${c.timeout} that ${c.slow ? 'sleeps 30 s' : 'ends at once'}`,
  check: async (c: TimeoutCase, ctx) => {
    const counts = Object.fromEntries(hookKinds.map((k) => [k, k === c.kind ? 1 : 0])) as HookCounts;
    const bundle = hookBundle(ctx, counts, () => ({ timeout: c.timeout, sleepSeconds: c.slow ? 30 : 0 }));
    const rt = ctx.runtime;
    const created = await rt.create('c1', bundle.dir);
    const call = c.kind === 'poststart' && created.exitCode === 0 ? await rt.start('c1') : created;
    const operation = c.kind === 'poststart' ? 'start' : 'create';
    if (c.kind === 'poststart' && created.exitCode !== 0 && hookLabels(readLog(bundle.log)).includes(label('poststart', 0))) {
      throw new Violation(clauses.hooksWhen, `the poststart hook ran (and timed out) during create, which failed: ${describeCall(created)}`);
    }
    if (c.kind === 'poststart') expectThat(created.exitCode === 0, clauses.createApplies, () => `create failed: ${describeCall(created)}`);
    if (!c.slow) {
      expectThat(call.exitCode === 0, clauses.hooksTimeout, () => `${operation} failed although the hook ended well within its ${c.timeout} s timeout: ${describeCall(call)}`);
      return;
    }
    const limit = c.timeout + 10;
    expectThat(call.durationMs < limit * 1000 && !call.timedOut, clauses.hooksTimeout, () => `${operation} took ${(call.durationMs / 1000).toFixed(1)} s with a hook whose timeout is ${c.timeout} s`);
    expectThat(call.exitCode !== 0, c.kind === 'poststart' ? clauses.lifecyclePoststartFails : clauses.lifecycleCreateHookFails, () => `${operation} exited 0 although its hook was aborted after its timeout`);
    const hook = readLog(bundle.log).find((l) => l.label === label(c.kind, 0));
    const identity = hook ? identify(hook.pid) : undefined;
    for (let i = 0; i < 20 && identity && isAlive(identity); i++) await sleep(50);
    expectThat(!identity || !isAlive(identity), clauses.hooksTimeout, () => `the hook (pid ${hook?.pid}) still runs after its timeout: it was not aborted`);
  },
});
