import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { faultFor, faultPoint, identify, passedFdStdio, pointerOf, releasePassedFds, RuntimeError, signalIfAlive, waitGone, type Backend, type ContainerContext, type CreateContext, type HookPoint, type PassedFds, type Process, type ProcessIdentity } from '../../core/plugin-api.js';
import { cgroupPids, destroyCgroups, procsFiles, setFrozen, signalAll, thawAfterKill, type CgroupPaths } from './cgroups/cgroup-manager.js';
import { oomKillCount, readStats } from './cgroups/stats.js';
import { helperPath } from './helper-path.js';
import { measureHost } from './host-facts.js';
import { applyLimits, cgroupDirsOf, cgroupsOf, plannedCgroups, requireCgroups, setUpCgroups, watchOomKills } from './native-cgroups.js';
import { compilePlan, injectFault } from './plan.js';
import { rlimitProblems } from './rlimit-check.js';
import { CloneFlag, encodePlan, PlanFlag, wireVersion, type Plan, type PlanOp } from './wire.js';

/** The native backend's own create steps for BERTH_FAULT (`create:<step>`), in order, between the core's after-record and after-backend. */
export const nativeCreateFaultSteps = ['after-cgroups-recorded', 'after-cgroups', 'after-helper-spawn', 'after-pid', 'after-sync-hooks', 'after-ready'] as const;

/**
 * The native engine: compiles the plan, runs the helper, and speaks its status protocol
 * (wire.ts): "pid", "sync create" (the create-phase hooks run, then "ack"), "ready", "error",
 * and in the foreground "exit". startContainer and createContainer hooks run inside the
 * container's namespaces through `berth-helper enter`. Nothing it starts outlives a berth that
 * dies before create commits: the helper has a parent-death signal, and the container process
 * waits for "commit" (sent once the core recorded it as created) and exits when fd 5 closes.
 */
export function createNativeBackend(): Backend {
  /** Helpers still talking to berth: until commit, and in the foreground until delete. */
  const sessions = new Map<string, HelperSession>();
  return {
    ownHooks: new Set(['createContainer', 'startContainer']),

    async create(ctx: CreateContext) {
      checkHostSupport(ctx.spec.process);
      const helper = helperPath();
      const execFifo = fifoPath(ctx.stateDir);
      const host = measureHost(ctx.spec, ctx.bundle, ctx.rootfs);
      // Before anything is made: an rlimit the host will not grant is the config's problem.
      const refused = rlimitProblems(ctx.spec.process, ctx.spec.linux?.namespaces ?? [], host.ownNamespacePaths ?? [], host.rlimits);
      if (refused.length > 0) throw RuntimeError.invalidSpec(refused, `${ctx.bundle}/config.json`);
      const cgroups = setUpCgroups(ctx);
      faultPoint('create:after-cgroups');
      const { plan, diagnostics } = compilePlan({
        id: ctx.id,
        spec: ctx.spec,
        bundle: ctx.bundle,
        rootfs: ctx.rootfs,
        execFifo,
        noPivot: ctx.options.noPivot,
        passedFds: ctx.options.passedFds,
        listenFds: ctx.options.passedFds.listen,
        foreground: ctx.options.foreground,
        consoleSocket: ctx.options.consoleSocket,
        cgroupProcs: cgroups ? procsFiles(cgroups) : [],
        cgroupDirs: cgroups ? cgroupDirsOf(cgroups) : {},
        host,
      });
      if (diagnostics.length > 0) throw RuntimeError.invalidSpec(diagnostics, `${ctx.bundle}/config.json`);
      injectFault(plan, faultFor('plan'));
      ctx.undo.onUndo('remove the exec fifo', () => rmSync(execFifo, { force: true }));

      const session = new HelperSession(helper, ctx.options.passedFds);
      ctx.undo.onUndo('stop the helper', () => session.kill());
      sessions.set(ctx.id, session);
      ctx.undo.onUndo('forget the helper', () => void sessions.delete(ctx.id));
      const helperProcess = session.pid === undefined ? undefined : identify(session.pid);
      ctx.recordProgress({ backendState: { ...(cgroups ? { cgroups } : {}), ...(helperProcess ? { helper: helperProcess } : {}) } });
      faultPoint('create:after-helper-spawn');
      session.sendPlan(plan);
      let pid = 0;
      for (;;) {
        const line = await session.nextLine();
        if (line === undefined) throw endedBeforeReady(ctx, session, cgroups, pid);
        const [word, ...rest] = line.split(' ');
        if (word === 'pid') {
          pid = Number(rest[0]);
          ctx.undo.onUndo('kill the container process', () => signal(pid, 'SIGKILL'));
          ctx.recordProgress({ pid });
          faultPoint('create:after-pid');
        } else if (word === 'sync') {
          await runCreateHooks(ctx.hooks, helper, pid, session);
          faultPoint('create:after-sync-hooks');
        } else if (word === 'ready') {
          break;
        } else if (word === 'error') {
          throw helperError(ctx.id, rest, plan);
        }
      }
      faultPoint('create:after-ready');
      const foreground = ctx.options.foreground;
      const commit = async () => {
        // The container process waits for this word after "ready"; without it, it exits once fd 5 closes.
        if (!(await session.answer('commit'))) throw new RuntimeError('BACKEND', `${ctx.id}: the container process (pid ${pid}) ended before create finished`);
        if (!foreground) {
          session.detach();
          sessions.delete(ctx.id);
        }
      };
      return { pid, backendState: cgroups ? { cgroups } : {}, commit };
    },

    async start(ctx: ContainerContext & { hooks: HookPoint }) {
      const helper = helperPath();
      await ctx.hooks.run('startContainer', pidInside(ctx.pid), { enter: enterContainer(helper, ctx.pid) });
      releaseExecFifo(ctx.id, fifoPath(ctx.stateDir), ctx.pid);
    },

    async kill(ctx, sig, options) {
      const cgroups = cgroupsOf(ctx);
      if (!options.all) signal(ctx.pid, sig);
      else if (cgroups) await signalAll(cgroups, sig);
      // A container made before berth managed cgroups: every process in its pid namespace.
      else for (const pid of processesInPidNamespaceOf(ctx.pid)) signal(pid, sig);
      if (sig === 9 && cgroups) await thawAfterKill(cgroups);
    },

    async delete(ctx) {
      rmSync(fifoPath(ctx.stateDir), { force: true });
      sessions.get(ctx.id)?.kill();
      sessions.delete(ctx.id);
      // Recorded only while creating: a create that died may have left its helper (its parent-death
      // signal normally takes it along); the container process may still be outside its cgroups.
      const helper = ctx.backendState.helper as ProcessIdentity | undefined;
      if (helper && signalIfAlive(helper, 9) && !(await waitGone(helper))) {
        throw new RuntimeError('SYSTEM', `${ctx.id}: the native helper (pid ${helper.pid}) did not exit within 10s of SIGKILL`);
      }
      const cgroups = cgroupsOf(ctx);
      if (cgroups) await destroyCgroups(cgroups);
    },

    async pause(ctx) {
      await setFrozen(requireCgroups(ctx, 'pause'), true);
    },

    async resume(ctx) {
      await setFrozen(requireCgroups(ctx, 'resume'), false);
    },

    async update(ctx, resources) {
      applyLimits(requireCgroups(ctx, 'update'), resources, ctx.spec.linux?.devices ?? [], 'the update');
    },

    async stats(ctx) {
      return readStats(requireCgroups(ctx, 'events'));
    },

    async watchOom(ctx, onOom, abort) {
      await watchOomKills(requireCgroups(ctx, 'events'), onOom, abort);
    },

    async processes(ctx) {
      return cgroupPids(requireCgroups(ctx, 'ps'));
    },

    async describePlan(ctx) {
      const planned = plannedCgroups(ctx);
      const { plan, diagnostics } = compilePlan({
        id: ctx.id,
        spec: ctx.spec,
        bundle: ctx.bundle,
        rootfs: ctx.rootfs,
        execFifo: '<state dir>/exec.fifo',
        noPivot: ctx.options.noPivot,
        passedFds: ctx.options.passedFds,
        listenFds: ctx.options.passedFds.listen,
        foreground: ctx.options.foreground,
        cgroupProcs: procsFiles(planned),
        cgroupDirs: cgroupDirsOf(planned),
        host: measureHost(ctx.spec, ctx.bundle, ctx.rootfs),
      });
      if (diagnostics.length > 0) throw RuntimeError.invalidSpec(diagnostics, `${ctx.bundle}/config.json`);
      const namespaces = Object.entries(CloneFlag)
        .filter(([, flag]) => (plan.cloneFlags & flag) !== 0)
        .map(([name]) => name);
      return { wireVersion, newNamespaces: namespaces, foreground: (plan.flags & PlanFlag.foreground) !== 0, pre: plan.pre, parent: plan.parent, child: plan.child };
    },

    async wait(ctx) {
      const session = sessions.get(ctx.id);
      if (!session) throw new RuntimeError('BACKEND', `${ctx.id}: no foreground helper to wait for`);
      return exitStatus(ctx.id, session);
    },

    async exec(ctx, request) {
      return (await import('./native-exec.js')).execInContainer(ctx, request);
    },
  };
}

/** The exit status a foreground helper reports ("exit N"). */
export async function exitStatus(id: string, session: HelperSession): Promise<number> {
  for (;;) {
    const line = await session.nextLine();
    if (line === undefined) throw new RuntimeError('BACKEND', `${id}: the native helper exited without reporting the process's exit status`);
    const [word, ...rest] = line.split(' ');
    if (word === 'exit') return Number(rest[0]);
    if (word === 'error') throw helperError(id, rest, session.plan);
  }
}

/**
 * The status stream ended before "ready". Once the helper has reported the pid its own part is
 * done (it exits 0), so its exit status says nothing of the container process, which died on the
 * way. The death berth can name is an OOM kill: the limits are written while the cgroup is
 * still empty, so a limit below what the process needs to start is only found out then (runc
 * and crun report it too, as a limit that cannot be set or as an OOM).
 */
function endedBeforeReady(ctx: CreateContext, session: HelperSession, cgroups: CgroupPaths | undefined, pid: number): RuntimeError {
  if (pid === 0) return new RuntimeError('BACKEND', `${ctx.id}: the native helper exited before the container was created${session.exitText()}`);
  if (cgroups && (oomKillCount(cgroups) ?? 0) > 0) {
    const limit = ctx.spec.linux?.resources?.memory?.limit;
    const which = limit === undefined ? 'its memory cgroup\'s limit' : `the memory limit of ${limit} bytes (${pointerOf('linux', 'resources', 'memory', 'limit')})`;
    return new RuntimeError('SYSTEM', `${ctx.id}: the container process was OOM-killed before it was ready: ${which} is too low for it to start`);
  }
  return new RuntimeError('BACKEND', `${ctx.id}: the container process (pid ${pid}) ended before it was ready`);
}

/** The create-phase hooks at the helper's sync point: prestart and createRuntime on the host, createContainer inside. */
async function runCreateHooks(hooks: HookPoint, helper: string, pid: number, session: HelperSession): Promise<void> {
  try {
    await hooks.run('prestart', pid);
    await hooks.run('createRuntime', pid);
    await hooks.run('createContainer', pidInside(pid), { enter: enterContainer(helper, pid) });
  } catch (e) {
    void session.answer('abort');
    throw e;
  }
  void session.answer('ack');
}

/** The processes in the same pid namespace as `pid` (just `pid` when that is the host's). */
function processesInPidNamespaceOf(pid: number): number[] {
  const nsOf = (p: number | 'self') => {
    try {
      return readlinkSync(`/proc/${p}/ns/pid`);
    } catch {
      return undefined;
    }
  };
  const target = nsOf(pid);
  if (!target || target === nsOf('self')) return [pid];
  return readdirSync('/proc')
    .filter((entry) => /^[0-9]+$/.test(entry))
    .map(Number)
    .filter((p) => nsOf(p) === target);
}

/** The pid as the container's own pid namespace sees it (the last NSpid field): what hooks that run inside get. */
function pidInside(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
    const ids = line?.split(/\s+/).slice(1).filter(Boolean).map(Number) ?? [];
    return ids.at(-1) ?? pid;
  } catch {
    return pid;
  }
}

function enterContainer(helper: string, pid: number) {
  return (command: { path: string; args: string[] }) => ({ path: helper, args: ['berth-helper', 'enter', String(pid), command.path, ...command.args] });
}

function fifoPath(stateDir: string): string {
  return join(stateDir, 'exec.fifo');
}

/**
 * `start`: open the exec fifo for reading, which lets the container's blocked open for writing
 * complete; its one byte says it is past the fifo and about to exec. Non-blocking, so a
 * container that died meanwhile is reported instead of waited for forever.
 */
function releaseExecFifo(id: string, fifo: string, pid: number): void {
  let fd: number;
  try {
    fd = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw RuntimeError.system(`${id}: cannot open the exec fifo ${fifo}`, e);
  }
  try {
    const byte = Buffer.alloc(1);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if (readSync(fd, byte) === 1) break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw RuntimeError.system(`${id}: cannot read the exec fifo`, e);
      }
      if (!existsSync(`/proc/${pid}`) || Date.now() > deadline) {
        throw new RuntimeError('BACKEND', `${id}: the container process is not waiting to start`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  } finally {
    closeSync(fd);
  }
  rmSync(fifo, { force: true });
}

/**
 * The helper's `error <section> <index> <op> <errno> <message>` as berth's error: the config
 * field (or flag) the failing op came from first, found by its place in the plan, then the
 * helper's message and where it failed. The clone itself fails on the namespaces it makes.
 */
export function helperError(id: string, fields: string[], plan?: Plan): RuntimeError {
  const [section, index, op, errno, ...message] = fields;
  const ops = section === 'pre' ? plan?.pre : section === 'parent' ? plan?.parent : section === 'child' ? plan?.child : undefined;
  const planned = ops?.[Number(index)];
  const field = planned?.op === op ? planned.field : op === 'CLONE' && plan && plan.cloneFlags !== 0 ? pointerOf('linux', 'namespaces') : undefined;
  const nofile = Number(errno) === EMFILE ? nofileLimitBefore(ops, Number(index)) : undefined;
  if (nofile?.field !== undefined) {
    // The op is only where it showed: the config's open-files limit is what is wrong.
    const why = `RLIMIT_NOFILE soft limit ${nofile.args[1]} leaves too few open files for the container's own setup before its program runs`;
    return new RuntimeError('SYSTEM', `${id}: ${nofile.field}: ${why}: ${message.join(' ')} (${op} failed in the ${section} step ${index}, errno ${errno})`);
  }
  return new RuntimeError('SYSTEM', `${id}: ${field === undefined ? '' : `${field}: `}${message.join(' ')} (${op} failed in the ${section} step ${index}, errno ${errno})`);
}

const EMFILE = 24;
const RLIMIT_NOFILE = 7;

/** The SETRLIMIT of RLIMIT_NOFILE that ran before op `index` of `ops`, if one did. */
function nofileLimitBefore(ops: readonly PlanOp[] | undefined, index: number): PlanOp | undefined {
  return ops?.slice(0, index).findLast((o) => o.op === 'SETRLIMIT' && Number(o.args[0]) === RLIMIT_NOFILE);
}

export function signal(pid: number, sig: number | NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw RuntimeError.system(`cannot signal pid ${pid}`, e);
  }
}

export function checkHostSupport(process: Process | undefined): void {
  if (process?.apparmorProfile && !existsSync('/sys/kernel/security/apparmor')) {
    throw new RuntimeError('UNSUPPORTED', `/process/apparmorProfile: AppArmor is not enabled on this host, so profile ${JSON.stringify(process.apparmorProfile)} cannot be applied`);
  }
  if (process?.selinuxLabel && !existsSync('/sys/fs/selinux/enforce')) {
    throw new RuntimeError('UNSUPPORTED', `/process/selinuxLabel: SELinux is not enabled on this host, so label ${JSON.stringify(process.selinuxLabel)} cannot be applied`);
  }
}

/** One run of the helper: fd 3 plan, fd 4 status lines, fd 5 answers; 6.. the caller's passed fds. */
export class HelperSession {
  private readonly child: ChildProcess;
  private buffered = '';
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;

  constructor(helper: string, passed: PassedFds) {
    this.child = spawn(helper, ['exec'], { stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe', 'pipe', ...passedFdStdio(passed)] });
    // The helper holds them now: nothing berth starts later (a hook) may inherit them.
    releasePassedFds(passed);
    // A helper that dies early closes its ends: berth reports that through the status stream's
    // end (and the helper's own stderr), never by crashing on EPIPE.
    for (const fd of [3, 4, 5]) (this.child.stdio as unknown as (Readable | Writable)[])[fd]!.on('error', () => {});
    const status = this.child.stdio[4] as Readable;
    status.setEncoding('utf8');
    status.on('data', (chunk: string) => {
      this.buffered += chunk;
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        this.push(this.buffered.slice(0, newline));
        this.buffered = this.buffered.slice(newline + 1);
      }
    });
    status.on('end', () => {
      this.ended = true;
      this.push(undefined);
    });
    this.child.on('error', () => {
      this.ended = true;
      this.push(undefined);
    });
  }

  /** The plan the helper runs, to name the field of an op it reports failing. */
  plan?: Plan;

  sendPlan(plan: Plan): void {
    this.plan = plan;
    let encoded: Buffer;
    try {
      encoded = encodePlan(plan);
    } catch (e) {
      // A plan that cannot be sent (a NUL byte at a field): the helper waiting for it goes too.
      this.kill();
      throw e;
    }
    (this.child.stdio[3] as Writable).end(encoded);
  }

  /** Write an answer on fd 5; resolves false when it could not be written (the helper's side is gone). */
  answer(word: 'ack' | 'abort' | 'commit'): Promise<boolean> {
    return new Promise((resolve) => (this.child.stdio as unknown as Writable[])[5]!.write(`${word}\n`, (e) => resolve(!e)));
  }

  /** The helper's pid; undefined when it could not be started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  nextLine(): Promise<string | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  exitText(): string {
    const { exitCode, signalCode } = this.child;
    return exitCode !== null ? ` (exit status ${exitCode})` : signalCode ? ` (killed by ${signalCode})` : '';
  }

  /** Leave the helper and the container to themselves: berth's create is done. */
  detach(): void {
    for (const fd of [3, 4, 5]) (this.child.stdio as unknown as (Readable | Writable | null)[])[fd]?.destroy();
    this.child.unref();
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.detach();
  }

  private push(line: string | undefined): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve(line);
    } else if (line !== undefined) {
      this.queue.push(line);
    }
  }
}
