import fc from 'fast-check';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseConfig, busyboxInRootfs, writeBundle } from '../bundle.js';
import { clauses } from '../clauses.js';
import { expectThat, property, type CaseContext } from '../property.js';
import { containerCgroupDirs, executableOf, existingPaths, hostMountsUnder, identify, isAlive, namespaceInode, stateEntries, type ProcessIdentity } from '../residue.js';
import { sleep, type ContainerState, type Invocation } from '../runtime-driver.js';
import { namespaceHolder } from './config.js';
import { expectation, type Operation, type Presence } from './lifecycle-model.js';

/** Two bundles: one whose program runs until signalled (it traps TERM), one whose program exits at once. */
type BundleName = 'sleeper' | 'quick';
const ids = ['c1', 'c2'] as const;
/** KILL ends any payload; TERM ends the sleeper, which traps it. */
type Signal = 'KILL' | 'TERM';

interface Model {
  containers: Map<string, { status: Exclude<Presence, 'absent'>; bundle: BundleName }>;
}

/** What the suite knows of each live container, to check that delete leaves none of it. */
interface Real {
  ctx: CaseContext;
  bundles: Record<BundleName, string>;
  made: Map<string, { process?: ProcessIdentity; cgroups: string[] }>;
  /** What the sleeper's config uses but create did not make: delete must leave it as it was. */
  preexisting: { boundFile: string; boundText: string; netnsHolder: number; netnsInode: number | null };
}

const presence = (m: Model, id: string): Presence => m.containers.get(id)?.status ?? 'absent';
const output = (i: Invocation) => `exit ${i.exitCode}${i.timedOut ? ' (timed out)' : ''}; stderr: ${JSON.stringify(i.stderr.trim().slice(0, 300))}`;

/** Whether the payload has installed its TERM trap (bit 15 of SigCgt): until then pid 1 of a pid namespace ignores TERM. */
function trapsTerm(pid: number): boolean {
  try {
    const mask = /^SigCgt:\s*([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && ((BigInt(`0x${mask}`) >> 14n) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** The checks every successful `state` must pass, whatever the operation before it; `id` is the real id (with the run's tag). */
function checkState(state: ContainerState | undefined, id: string, bundle: string, status: string, clause = clauses.stateStatus): void {
  expectThat(state !== undefined, clauses.queryReturnsState, () => `state ${id} did not print a state JSON`);
  expectThat(state.status === status, clause, () => `state ${id} says status ${JSON.stringify(state.status)}, the spec's state machine says ${status}`);
  expectThat(state.id === id, clauses.queryReturnsState, () => `state ${id} says id ${JSON.stringify(state.id)}`);
  expectThat(typeof state.ociVersion === 'string', clauses.queryReturnsState, () => `state ${id} has no ociVersion string`);
  expectThat(state.bundle === bundle, clauses.stateFields, () => `state ${id} says bundle ${JSON.stringify(state.bundle)}, the bundle is ${bundle}`);
  if (status === 'created' || status === 'running') {
    expectThat(Number.isInteger(state.pid) && (state.pid as number) > 0, clauses.stateFields, () => `state ${id} (${status}) has pid ${JSON.stringify(state.pid)}`);
  }
}

class LifecycleCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly op: Operation,
    readonly id: string,
    readonly bundle: BundleName = 'sleeper',
    readonly signal: Signal = 'KILL',
    /** Never delete a created container: the deviation every runtime here has would hide all others. */
    readonly spareCreated = false,
  ) {}

  check(m: Readonly<Model>): boolean {
    // What TERM does to a process that has not run the program yet is the runtime's business.
    if (this.op === 'kill' && this.signal === 'TERM' && presence(m, this.id) === 'created') return false;
    return !(this.spareCreated && this.op === 'delete' && presence(m, this.id) === 'created');
  }

  toString(): string {
    if (this.op === 'create') return `create(${this.id}, ${this.bundle})`;
    if (this.op === 'kill') return `kill(${this.id}, ${this.signal})`;
    return `${this.op}(${this.id})`;
  }

  async run(m: Model, r: Real): Promise<void> {
    const rt = r.ctx.runtime;
    const from = presence(m, this.id);
    const bundle = this.op === 'create' ? this.bundle : (m.containers.get(this.id)?.bundle ?? 'sleeper');
    const expected = expectation(this.op, from, bundle === 'quick');
    const before = from === 'absent' ? undefined : await rt.state(this.id);

    if (this.op === 'kill' && this.signal === 'TERM' && from === 'running') await this.waitForTrap(r);
    const call = await this.invoke(r);

    if (!expected.allowed) {
      expectThat(call.exitCode !== 0, expected.clause, () => `${this} on a container that is ${from}: exit 0, an error was required`);
      if (before) {
        const after = await rt.state(this.id);
        expectThat(after.exitCode === 0 && after.stdout === before.stdout, expected.clause, () =>
          `${this} on a ${from} container failed but changed it: state before ${JSON.stringify(before.stdout.trim())}, after: ${after.exitCode === 0 ? JSON.stringify(after.stdout.trim()) : output(after)}`);
      }
      return;
    }
    const reused = this.op === 'create' && r.made.has(this.id);
    expectThat(call.exitCode === 0, reused ? clauses.deleteIdReusable : expected.clause, () => `${this} on a container that is ${from} failed: ${output(call)}`);

    switch (this.op) {
      case 'create': {
        const state = (await rt.stateOf(this.id)).state;
        checkState(state, r.ctx.runtime.id(this.id), r.bundles[bundle], 'created');
        const pid = state!.pid as number;
        const exe = executableOf(pid);
        expectThat(!exe.endsWith(busyboxInRootfs), clauses.createNoProgram, () => `right after create, the container process ${pid} already runs the program (${exe})`);
        r.made.set(this.id, { process: identify(pid), cgroups: containerCgroupDirs(pid) });
        m.containers.set(this.id, { status: 'created', bundle });
        return;
      }
      case 'start': {
        const state = (await rt.stateOf(this.id)).state;
        const allowedNow = bundle === 'quick' ? ['running', 'stopped'] : ['running'];
        expectThat(state !== undefined && allowedNow.includes(state.status), clauses.stateStatus, () =>
          `right after start returned, state ${this.id} says ${JSON.stringify(state?.status)}; the program has been executed (lifecycle step 8 comes before start returns), so it must be ${allowedNow.join(' or ')}`);
        if (bundle === 'quick') checkState(await rt.waitForStatus(this.id, ['stopped']), rt.id(this.id), r.bundles[bundle], 'stopped');
        else checkState(state, rt.id(this.id), r.bundles[bundle], 'running');
        m.containers.set(this.id, { status: expected.next as 'running' | 'stopped', bundle });
        return;
      }
      case 'kill': {
        checkState(await rt.waitForStatus(this.id, ['stopped']), rt.id(this.id), r.bundles[bundle], 'stopped', clauses.killSends);
        m.containers.set(this.id, { status: 'stopped', bundle });
        return;
      }
      case 'state': {
        const state = (() => {
          try {
            return JSON.parse(call.stdout) as ContainerState;
          } catch {
            return undefined;
          }
        })();
        checkState(state, rt.id(this.id), r.bundles[bundle], from);
        return;
      }
      case 'delete': {
        this.checkNothingRemains(r, bundle, await rt.state(this.id));
        m.containers.delete(this.id);
        return;
      }
    }
  }

  private invoke(r: Real): Promise<Invocation> {
    const rt = r.ctx.runtime;
    switch (this.op) {
      case 'create':
        return rt.create(this.id, r.bundles[this.bundle]);
      case 'start':
        return rt.start(this.id);
      case 'state':
        return rt.state(this.id);
      case 'kill':
        return rt.kill(this.id, this.signal);
      case 'delete':
        return rt.delete(this.id);
    }
  }

  private async waitForTrap(r: Real): Promise<void> {
    const pid = r.made.get(this.id)?.process?.pid;
    for (let i = 0; pid !== undefined && i < 100 && !trapsTerm(pid); i++) await sleep(50);
    r.ctx.runtime.recordWait(0.5, 'the payload traps TERM once its shell has started (the suite waits for SigCgt in /proc/PID/status)');
  }

  /** runtime.md Delete: what create made is gone; what the container merely used (its bundle) is not. */
  private checkNothingRemains(r: Real, bundle: BundleName, state: Invocation): void {
    const made = r.made.get(this.id);
    const leftovers = [
      ...(state.exitCode === 0 ? [`state ${this.id} still succeeds: ${state.stdout.trim()}`] : []),
      ...stateEntries(r.ctx.runtime.root, r.ctx.runtime.id(this.id)).map((p) => `state entry ${p}`),
      ...(made?.process && isAlive(made.process) ? [`process ${made.process.pid}`] : []),
      ...existingPaths(made?.cgroups ?? []).map((d) => `cgroup ${d}`),
      ...hostMountsUnder(r.ctx.dir).map((p) => `mount ${p}`),
    ];
    expectThat(leftovers.length === 0, clauses.deleteResources, () => `after delete ${this.id}, what create made remains: ${leftovers.join('; ')}`);
    const bundleConfig = join(r.bundles[bundle], 'config.json');
    expectThat(existingPaths([bundleConfig, join(r.bundles[bundle], 'rootfs', busyboxInRootfs)]).length === 2, clauses.deleteResources, () => `delete ${this.id} removed (part of) the bundle, which create did not make`);
    const p = r.preexisting;
    const boundText = existsSync(p.boundFile) ? readFileSync(p.boundFile, 'utf8') : undefined;
    expectThat(boundText === p.boundText, clauses.deleteResources, () => `delete ${this.id} changed ${p.boundFile}, in a host directory the config binds but create did not make: it ${boundText === undefined ? 'is gone' : `holds ${JSON.stringify(boundText)}`}`);
    const netns = namespaceInode(p.netnsHolder, 'net');
    expectThat(netns === p.netnsInode, clauses.deleteResources, () => `delete ${this.id} ended the network namespace the sleeper's config joins by path (process ${p.netnsHolder}'s), which create did not make`);
  }
}

const idArb = fc.constantFrom(...ids);
function commandsArb(spareCreated: boolean) {
  return fc.commands(
    [
      fc.tuple(idArb, fc.constantFrom<BundleName>('sleeper', 'quick')).map(([id, b]) => new LifecycleCommand('create', id, b)),
      idArb.map((id) => new LifecycleCommand('start', id)),
      idArb.map((id) => new LifecycleCommand('state', id)),
      fc.tuple(idArb, fc.constantFrom<Signal>('KILL', 'TERM')).map(([id, s]) => new LifecycleCommand('kill', id, 'sleeper', s)),
      // Twice: delete is refused from three of its four starting points, the most to check.
      idArb.map((id) => new LifecycleCommand('delete', id, 'sleeper', 'KILL', spareCreated)),
      idArb.map((id) => new LifecycleCommand('delete', id, 'sleeper', 'KILL', spareCreated)),
    ],
    { maxCommands: 14 },
  );
}

function stateMachine(id: string, title: string, spareCreated: boolean) {
  return property<Iterable<fc.AsyncCommand<Model, Real>>>({
    id,
    group: 'lifecycle',
    title,
    clauses: [clauses.stateStatus, clauses.queryUnknown, clauses.queryReturnsState, clauses.createUniqueId, clauses.createNoProgram, clauses.startNotCreated, clauses.startRuns, clauses.killNotRunning, clauses.killSends, clauses.deleteNotStopped, clauses.deleteResources, clauses.deleteIdReusable, clauses.errorsNoEffect],
    needsBusybox: true,
    arbitrary: () => commandsArb(spareCreated),
    // fast-check appends a replayPath comment; the seed in the report already replays the run.
    describe: (cmds) => String(cmds).replace(/\s*\/\*replayPath=.*\*\/$/, '').replace(/,(?! )/g, ', '),
    check: async (cmds, ctx) => {
      const config = (args: string[]) => baseConfig(ctx.assets.ociVersion, args);
      // runtime.md Delete: resources "associated with the container, but not created by this
      // container, MUST NOT be deleted". The sleeper binds a host directory and joins a network
      // namespace by path, both made before create.
      const boundDir = join(ctx.dir, 'kept');
      mkdirSync(boundDir);
      const boundText = 'made before create\n';
      writeFileSync(join(boundDir, 'data'), boundText);
      const holder = await namespaceHolder(ctx);
      try {
        const sleeperConfig = config(['/bin/sh', '-c', "trap 'exit 0' TERM; while :; do /bin/sleep 1 & wait $!; done"]);
        sleeperConfig.mounts!.push({ destination: '/kept', type: 'none', source: boundDir, options: ['bind', 'rw'] });
        sleeperConfig.linux!.namespaces = sleeperConfig.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${holder.pid}/ns/net` } : n));
        const sleeper = writeBundle(ctx.dir, sleeperConfig, ctx.assets, [{ path: 'rootfs/kept' }]);
        const quick = writeBundle(join(ctx.dir, 'quick'), config(['/bin/sh', '-c', 'exit 0']), ctx.assets);
        const preexisting = { boundFile: join(boundDir, 'data'), boundText, netnsHolder: holder.pid, netnsInode: holder.inode('network') };
        const real: Real = { ctx, bundles: { sleeper: realpathSync(sleeper), quick: realpathSync(quick) }, made: new Map(), preexisting };
        await fc.asyncModelRun(() => ({ model: { containers: new Map() }, real }), cmds);
      } finally {
        holder.stop();
      }
    },
  });
}

export const lifecycleStateMachine = stateMachine(
  'lifecycle/state-machine',
  "random create/start/state/kill/delete sequences over two ids and two bundles follow the spec's state machine; refused operations change nothing; delete leaves nothing",
  false,
);

export const lifecycleStateMachineSparingCreated = stateMachine(
  'lifecycle/state-machine-no-delete-of-created',
  'the same, never deleting a created container: deviations the early delete would hide show up here',
  true,
);
