import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, type ContainerContext, type ExecRequest, type ExecStarted } from '../../core/plugin-api.js';
import { execCgroupDirs } from './cgroups/exec-cgroups.js';
import { parseCgroupLayout } from './cgroups/layout.js';
import { compileExecPlan, type ExecHostFacts } from './exec-plan.js';
import { homeOf, measureRlimitHost } from './host-facts.js';
import { rlimitProblems } from './rlimit-check.js';
import { checkHostSupport, exitStatus, helperError, HelperSession, signal } from './native-backend.js';
import { helperPath } from './helper-path.js';
import { validateForNative } from './native-validate.js';
import { usesNotify } from './seccomp.js';

/**
 * `exec` for the native backend: measures what the plan needs from the running container (its
 * init's namespaces and cgroups), compiles the exec plan (exec-plan.ts) and runs the helper.
 * Status lines: "pid", then "running" once the program runs (or "error"), then, unless
 * detached, "exit". A process that failed to start is killed and nothing is left behind.
 */
export async function execInContainer(ctx: ContainerContext, request: ExecRequest): Promise<ExecStarted> {
  const { process } = request;
  const problems = [...validateForNative({ ...ctx.spec, process }), ...rlimitProblems(process, ctx.spec.linux?.namespaces ?? [], [], measureRlimitHost())];
  if (problems.length > 0) throw RuntimeError.invalidSpec(problems, 'exec process');
  const seccomp = ctx.spec.linux?.seccomp;
  if (seccomp?.listenerPath && usesNotify(seccomp)) {
    throw new RuntimeError('UNSUPPORTED', `${ctx.id}: exec is not implemented by the native backend for a container whose seccomp filter notifies a listener (/linux/seccomp/listenerPath)`);
  }
  checkHostSupport(process);
  const plan = compileExecPlan({
    process,
    seccomp,
    detach: request.detach,
    consoleSocket: request.consoleSocket,
    passedFds: request.passedFds,
    cgroupFlag: request.cgroups.length > 0,
    fields: request.fields,
    configProcess: ctx.spec.process,
    containerNamespaces: ctx.spec.linux?.namespaces ?? [],
    host: measureContainer(ctx, request),
  });

  const session = new HelperSession(helperPath(), request.passedFds);
  session.sendPlan(plan);
  let pid = 0;
  try {
    for (;;) {
      const line = await session.nextLine();
      if (line === undefined) throw new RuntimeError('BACKEND', `${ctx.id}: the native helper exited before the process ran${session.exitText()}`);
      const [word, ...rest] = line.split(' ');
      if (word === 'pid') pid = Number(rest[0]);
      else if (word === 'running') break;
      else if (word === 'error') throw helperError(ctx.id, rest, plan);
    }
  } catch (e) {
    if (pid > 0) signal(pid, 'SIGKILL');
    session.kill();
    throw e;
  }
  if (request.detach) {
    session.detach();
    return { pid, wait: () => Promise.reject(new RuntimeError('BACKEND', `${ctx.id}: a detached exec process is not waited for`)) };
  }
  return { pid, wait: () => exitStatus(ctx.id, session) };
}

/** The /proc/<pid>/ns names of the spec's namespace types. */
const procNames: Record<string, string> = { user: 'user', ipc: 'ipc', uts: 'uts', network: 'net', pid: 'pid', mount: 'mnt', cgroup: 'cgroup', time: 'time' };

/** What the exec plan needs from the running container: the init's namespaces and cgroups, the user's home. */
function measureContainer(ctx: ContainerContext, request: ExecRequest): ExecHostFacts {
  const namespaces: ExecHostFacts['namespaces'] = [];
  for (const [type, name] of Object.entries(procNames)) {
    const path = `/proc/${ctx.pid}/ns/${name}`;
    const theirs = nsLink(path);
    if (theirs === undefined) {
      if (existsSync(`/proc/${ctx.pid}`)) continue; // a namespace type this kernel lacks
      throw new RuntimeError('INVALID_STATE', `${ctx.id}: container not running (its process ${ctx.pid} is gone)`);
    }
    if (theirs !== nsLink(`/proc/self/ns/${name}`)) namespaces.push({ type, path });
  }
  let initCgroups: string;
  try {
    initCgroups = readFileSync(`/proc/${ctx.pid}/cgroup`, 'utf8');
  } catch (e) {
    throw RuntimeError.system(`${ctx.id}: cannot read the cgroups of the container's process ${ctx.pid}`, e);
  }
  const layout = parseCgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8'), initCgroups);
  const { dirs, problems } = execCgroupDirs(layout, request.cgroups);
  if (problems.length > 0) throw new RuntimeError('INVALID_ARGUMENT', `${ctx.id}: ${problems.join('; ')}`);
  const missing = dirs.filter((d) => !existsSync(d));
  if (missing.length > 0) throw new RuntimeError('INVALID_ARGUMENT', `${ctx.id}: no such cgroup: ${missing.join(', ')} (--cgroup names an existing sub-cgroup of the container's)`);
  return { namespaces, cgroupProcs: dirs.map((d) => join(d, 'cgroup.procs')), home: homeOf(ctx.rootfs, request.process.user.uid) };
}

function nsLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw RuntimeError.system(`cannot read the namespace link ${path}`, e);
  }
}
