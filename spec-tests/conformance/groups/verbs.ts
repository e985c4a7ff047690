import fc from 'fast-check';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseConfig, defaultCapabilities, probeInRootfs, writeBundle } from '../bundle.js';
import { clauses } from '../clauses.js';
import { expectThat, property, type CaseContext } from '../property.js';
import { controllerDirOf, namespaceInode, stateEntries } from '../residue.js';
import { sleep, type Invocation } from '../runtime-driver.js';
import { describeCall, expectRefused } from './calls.js';
import { show, type ProbeReport } from './probe-run.js';

/**
 * runc's verbs beyond the spec's five, for runtimes whose --help lists them: exec runs a process
 * in a running container exactly as asked; pause and resume freeze and thaw it, following their
 * own small state machine; update changes its cgroup resources. No spec text covers them, so the
 * clauses are runc's documented behaviour, which managers rely on.
 */

/**
 * Creates and starts c1 from `args`, and returns its pid: the precondition every case here shares.
 * With `marks`, the bundle's marks/ is bound at /marks, for the program to leave traces the suite reads.
 */
async function runningContainer(ctx: CaseContext, args: string[], options: { marks?: boolean } = {}): Promise<number> {
  const config = baseConfig(ctx.assets.ociVersion, args);
  if (options.marks) config.mounts!.push({ destination: '/marks', type: 'none', source: join(ctx.dir, 'marks'), options: ['bind', 'rw'] });
  writeBundle(ctx.dir, config, ctx.assets, options.marks ? [{ path: 'marks' }, { path: 'rootfs/marks' }] : []);
  const rt = ctx.runtime;
  const created = await rt.create('c1', ctx.dir);
  expectThat(created.exitCode === 0, clauses.createApplies, () => `create failed: ${describeCall(created)}`);
  const started = await rt.start('c1');
  expectThat(started.exitCode === 0, clauses.startRuns, () => `start failed: ${describeCall(started)}`);
  const state = await rt.waitForStatus('c1', ['running']);
  expectThat(state?.status === 'running', clauses.stateStatus, () => `after start, state says ${show(state?.status)}; the program runs for 600 s`);
  return Number(state.pid);
}

/** Kills c1 and deletes it; a case that got this far must be able to clean up. */
async function stopAndDelete(ctx: CaseContext): Promise<void> {
  const rt = ctx.runtime;
  await rt.kill('c1', 'KILL');
  await rt.waitForStatus('c1', ['stopped']);
  const deleted = await rt.delete('c1');
  expectThat(deleted.exitCode === 0, clauses.deleteResources, () => `delete of the stopped container failed: ${describeCall(deleted)}`);
}

// ---- exec ----

/** The namespace kinds the probe reports, by their /proc/PID/ns names. */
const namespaceKinds = ['user', 'mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup', 'time'] as const;

export interface ExecCase {
  /** `--process FILE` (an OCI process) or the container's own process changed by flags. */
  via: 'process-file' | 'flags';
  args: string[];
  /** Variables besides PATH and HOME, which every case sets (a missing HOME is config/process-env-verbatim's business). */
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  /** Only a process file can carry them: runc's -g is not crun's. */
  additionalGids: number[];
  exitCode: number;
}

const envName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,7}$/).filter((n) => n !== 'PATH' && n !== 'HOME');
const envValue = fc.string({ maxLength: 12 }).filter((v) => !v.includes('\0'));
const plainArg = fc.string({ maxLength: 10 }).filter((a) => !a.includes('\0'));
const id = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 65534 }));

export const execCase: fc.Arbitrary<ExecCase> = fc
  .record({
    via: fc.constantFrom<ExecCase['via']>('process-file', 'flags'),
    args: fc.array(plainArg, { maxLength: 3 }),
    env: fc.uniqueArray(fc.tuple(envName, envValue), { maxLength: 3, selector: ([n]) => n }).map((pairs) => pairs.map(([n, v]) => `${n}=${v}`)),
    cwd: fc.constantFrom('/', '/tmp', '/dev', '/proc'),
    uid: id,
    gid: id,
    additionalGids: fc.uniqueArray(fc.integer({ min: 1, max: 65534 }), { maxLength: 3 }),
    exitCode: fc.integer({ min: 0, max: 255 }),
  })
  .map((c) => (c.via === 'flags' ? { ...c, additionalGids: [] } : c));

const describeExec = (c: ExecCase) =>
  c.via === 'process-file'
    ? `exec --process FILE c1, the process ${show({ args: ['…probe', '--exit', c.exitCode, '--', ...c.args], env: c.env, cwd: c.cwd, user: { uid: c.uid, gid: c.gid, additionalGids: c.additionalGids } })}`
    : `exec ${[...c.env.map((e) => `--env ${show(e)}`), `--cwd ${c.cwd}`, `--user ${c.uid}:${c.gid}`].join(' ')} c1 …probe --exit ${c.exitCode} -- ${c.args.map((a) => show(a)).join(' ')}`;

const baseEnv = ['PATH=/bin', 'HOME=/'];

export const execProcess = property({
  id: 'verbs/exec-process',
  group: 'verbs',
  title: "exec runs the given process in all of the running container's namespaces and cgroups, with its args, env, cwd, uid, gid and groups, and exits with its status",
  clauses: [clauses.execRuns],
  needs: ['exec'],
  arbitrary: () => execCase,
  describe: describeExec,
  check: async (c: ExecCase, ctx) => {
    const pid = await runningContainer(ctx, [probeInRootfs, '--sleep', '600']);
    const command = [probeInRootfs, '--exit', String(c.exitCode), '--', ...c.args];
    let call: Invocation;
    if (c.via === 'process-file') {
      const file = join(ctx.dir, 'process.json');
      const caps = [...defaultCapabilities];
      const process = {
        terminal: false,
        user: { uid: c.uid, gid: c.gid, ...(c.additionalGids.length > 0 ? { additionalGids: c.additionalGids } : {}) },
        args: command,
        env: [...baseEnv, ...c.env],
        cwd: c.cwd,
        capabilities: { bounding: caps, effective: caps, permitted: caps },
        noNewPrivileges: true,
      };
      writeFileSync(file, `${JSON.stringify(process, null, 2)}\n`);
      call = await ctx.runtime.exec('c1', ['--process', file]);
    } else {
      call = await ctx.runtime.exec('c1', [...c.env.flatMap((e) => ['--env', e]), '--cwd', c.cwd, '--user', `${c.uid}:${c.gid}`], command);
    }
    const line = call.stdout.split('\n').find((l) => l.startsWith('{'));
    expectThat(line !== undefined, clauses.execRuns, () => `the exec'd probe printed no report: ${describeCall(call)}`);
    const seen = JSON.parse(line) as ProbeReport & { cgroup: string[] | null };
    expectThat(call.exitCode === c.exitCode, clauses.execRuns, () => `exec exited ${call.exitCode}; the process exited ${c.exitCode}`);
    expectThat(show(seen.args) === show(command), clauses.execRuns, () => `the process got argv ${show(seen.args)}, not ${show(command)}`);
    const env = [...baseEnv, ...c.env];
    // A process file gives the environment as a list; flags add to the container's, in no defined order.
    const envMatches = c.via === 'process-file' ? show(seen.env) === show(env) : show([...seen.env].sort()) === show([...env].sort());
    expectThat(envMatches, clauses.execRuns, () => `the process's environment is ${show(seen.env)}, not ${show(env)}`);
    expectThat(seen.cwd === c.cwd, clauses.execRuns, () => `the process's working directory is ${show(seen.cwd)}, not ${show(c.cwd)}`);
    const ids = { uid: seen.uid, gid: seen.gid, euid: seen.euid, egid: seen.egid, groups: [...seen.groups].sort((a, b) => a - b) };
    const wanted = { uid: c.uid, gid: c.gid, euid: c.uid, egid: c.gid, groups: [...c.additionalGids].sort((a, b) => a - b) };
    expectThat(show(ids) === show(wanted), clauses.execRuns, () => `the process runs as ${show(ids)}, not ${show(wanted)}`);
    const wrongNamespaces = namespaceKinds.filter((k) => seen.namespaces[k] !== namespaceInode(pid, k));
    expectThat(wrongNamespaces.length === 0, clauses.execRuns, () => `the process is not in the container's ${wrongNamespaces.map((k) => `${k} namespace (${seen.namespaces[k]}, the container's is ${namespaceInode(pid, k)})`).join(', ')}`);
    const initCgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
    expectThat(show(seen.cgroup) === show(initCgroups), clauses.execRuns, () => `the process is in the cgroups ${show(seen.cgroup)}, the container's are ${show(initCgroups)}`);
    await stopAndDelete(ctx);
  },
});

export type ExecRefusedCase = 'stopped' | 'unknown';

export const execRefused = property({
  id: 'verbs/exec-refused',
  group: 'verbs',
  title: 'exec in a container that has stopped, or that does not exist, fails, runs nothing and changes nothing',
  clauses: [clauses.execNotRunning, clauses.errorMessage],
  needs: ['exec'],
  arbitrary: () => fc.constantFrom<ExecRefusedCase>('stopped', 'unknown'),
  describe: (c: ExecRefusedCase) => (c === 'stopped' ? 'exec c1 …probe, c1 has stopped' : 'exec c1 …probe, no container c1'),
  check: async (c: ExecRefusedCase, ctx) => {
    const rt = ctx.runtime;
    const marker = join(ctx.dir, 'marks', 'ran');
    const command = [probeInRootfs, '--write', '/marks/ran', 'yes'];
    if (c === 'unknown') {
      const call = await rt.exec('c1', [], command);
      expectRefused(call, clauses.execNotRunning, 'exec c1 with no container c1');
      const entries = stateEntries(rt.root, rt.id('c1'));
      expectThat(entries.length === 0, clauses.execNotRunning, () => `the refused exec left state entries: ${entries.join(', ')}`);
      return;
    }
    await runningContainer(ctx, [probeInRootfs, '--sleep', '600'], { marks: true });
    await rt.kill('c1', 'KILL');
    const stopped = await rt.waitForStatus('c1', ['stopped']);
    expectThat(stopped?.status === 'stopped', clauses.stateStatus, () => `after kill KILL, state says ${show(stopped?.status)} 10 s later`);
    const before = (await rt.state('c1')).stdout;
    const call = await rt.exec('c1', [], command);
    expectRefused(call, clauses.execNotRunning, 'exec in the stopped c1');
    const after = (await rt.state('c1')).stdout;
    expectThat(after === before, clauses.execNotRunning, () => `the refused exec changed state: ${before.trim()} became ${after.trim()}`);
    expectThat(!existsSync(marker), clauses.execNotRunning, () => 'the refused exec ran the process anyway');
    const deleted = await rt.delete('c1');
    expectThat(deleted.exitCode === 0, clauses.deleteResources, () => `delete of the stopped container failed: ${describeCall(deleted)}`);
  },
});

export const execPaused = property({
  id: 'verbs/exec-paused',
  group: 'verbs',
  title: 'exec in a paused container fails (runc: unless --ignore-paused), runs nothing, and the container stays paused',
  clauses: [clauses.execPaused, clauses.errorMessage],
  needs: ['exec', 'pause'],
  arbitrary: () => fc.constant(null),
  describe: () => 'pause c1, then exec c1 …probe',
  check: async (_c: null, ctx) => {
    const rt = ctx.runtime;
    await runningContainer(ctx, [probeInRootfs, '--sleep', '600'], { marks: true });
    const paused = await rt.pause('c1');
    expectThat(paused.exitCode === 0, clauses.pauseResume, () => `pause of the running container failed: ${describeCall(paused)}`);
    const before = (await rt.state('c1')).stdout;
    const call = await rt.exec('c1', [], [probeInRootfs, '--write', '/marks/ran', 'yes']);
    expectRefused(call, clauses.execPaused, 'exec in the paused c1');
    const after = (await rt.state('c1')).stdout;
    expectThat(after === before, clauses.execPaused, () => `the refused exec changed state: ${before.trim()} became ${after.trim()}`);
    const resumed = await rt.resume('c1');
    expectThat(resumed.exitCode === 0, clauses.pauseResume, () => `resume of the paused container failed: ${describeCall(resumed)}`);
    // Had the refused exec left a frozen process behind, it would run now.
    await sleep(300);
    expectThat(!existsSync(join(ctx.dir, 'marks', 'ran')), clauses.execPaused, () => 'the refused exec left its process behind: it ran once the container was resumed');
    await stopAndDelete(ctx);
  },
});

// ---- pause and resume ----

export type PauseOp = 'pause' | 'resume' | 'state' | 'delete';

/** What each operation does from each status: runc's pause/resume machine, and runtime.md's delete. */
export function pauseModel(status: 'running' | 'paused', op: PauseOp): { ok: boolean; next: 'running' | 'paused' } {
  switch (op) {
    case 'pause':
      return status === 'running' ? { ok: true, next: 'paused' } : { ok: false, next: status };
    case 'resume':
      return status === 'paused' ? { ok: true, next: 'running' } : { ok: false, next: status };
    case 'state':
      return { ok: true, next: status };
    case 'delete':
      // Neither running nor paused is stopped: runtime.md requires an error without --force.
      return { ok: false, next: status };
  }
}

function ticks(marks: string): number {
  try {
    return statSync(join(marks, 'ticks')).size;
  } catch {
    return 0;
  }
}

/** Whether the ticking program writes more within `ms`. */
async function progresses(marks: string, ms: number): Promise<boolean> {
  const start = ticks(marks);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    await sleep(50);
    if (ticks(marks) > start) return true;
  }
  return false;
}

export const pauseResume = property({
  id: 'verbs/pause-resume',
  group: 'verbs',
  title: 'random pause/resume/state/delete sequences on a running container: pause freezes every process and state says paused, resume thaws them; refused operations change nothing',
  clauses: [clauses.pauseResume, clauses.deleteNotStopped, clauses.errorMessage],
  needs: ['pause'],
  needsBusybox: true,
  arbitrary: () => fc.array(fc.constantFrom<PauseOp>('pause', 'resume', 'state', 'delete'), { minLength: 1, maxLength: 8 }),
  describe: (ops: PauseOp[]) => `on a running c1: ${ops.map((op) => `${op}(c1)`).join(', ')}`,
  check: async (ops: PauseOp[], ctx) => {
    const rt = ctx.runtime;
    const marks = join(ctx.dir, 'marks');
    await runningContainer(ctx, ['/bin/sh', '-c', 'while :; do echo . >> /marks/ticks; sleep 0.1; done'], { marks: true });
    expectThat(await progresses(marks, 5000), clauses.startRuns, () => 'the running program wrote nothing to /marks/ticks in 5 s');
    let status: 'running' | 'paused' = 'running';
    for (const [n, op] of ops.entries()) {
      const before = (await rt.state('c1')).stdout;
      const call = op === 'pause' ? await rt.pause('c1') : op === 'resume' ? await rt.resume('c1') : op === 'delete' ? await rt.delete('c1') : await rt.state('c1');
      const expected = pauseModel(status, op);
      const where = `step ${n + 1}, ${op}(c1) on a ${status} container`;
      const clause = op === 'delete' ? clauses.deleteNotStopped : clauses.pauseResume;
      if (expected.ok) {
        expectThat(call.exitCode === 0, clause, () => `${where}: ${describeCall(call)}, it must succeed`);
      } else {
        expectRefused(call, clause, where);
        const after = (await rt.state('c1')).stdout;
        expectThat(after === before, clause, () => `${where} was refused but changed state: ${before.trim()} became ${after.trim()}`);
      }
      status = expected.next;
      const state = (await rt.stateOf('c1')).state;
      expectThat(state?.status === status, clauses.pauseResume, () => `after ${where.replace(/^step \d+, /, '')}, state says ${show(state?.status)}, not ${status}`);
      if (status === 'paused') {
        const frozenAt = ticks(marks);
        await sleep(300);
        expectThat(ticks(marks) === frozenAt, clauses.pauseResume, () => `after ${where.replace(/^step \d+, /, '')}, the paused program still runs: /marks/ticks grew from ${frozenAt} to ${ticks(marks)} bytes in 300 ms`);
      } else {
        expectThat(await progresses(marks, 3000), clauses.pauseResume, () => `after ${where.replace(/^step \d+, /, '')}, the running program wrote nothing to /marks/ticks in 3 s`);
      }
    }
    if (status === 'paused') {
      const resumed = await rt.resume('c1');
      expectThat(resumed.exitCode === 0, clauses.pauseResume, () => `resume of the paused container failed: ${describeCall(resumed)}`);
    }
    await stopAndDelete(ctx);
  },
});

// ---- update ----

export interface ResourceUpdate {
  via: 'flags' | 'resources-file';
  memory?: number;
  pids?: number;
  cpuShares?: number;
}

const mib = 1024 * 1024;
export const resourceUpdate: fc.Arbitrary<ResourceUpdate> = fc
  .record(
    {
      via: fc.constantFrom<ResourceUpdate['via']>('flags', 'resources-file'),
      memory: fc.integer({ min: 16, max: 1024 }).map((n) => n * mib),
      pids: fc.integer({ min: 16, max: 4096 }),
      cpuShares: fc.integer({ min: 2, max: 262144 }),
    },
    { requiredKeys: ['via'] },
  )
  .filter((u) => u.memory !== undefined || u.pids !== undefined || u.cpuShares !== undefined);

const describeUpdate = (u: ResourceUpdate) =>
  u.via === 'flags'
    ? `update ${[u.memory !== undefined ? `--memory ${u.memory}` : '', u.pids !== undefined ? `--pids-limit ${u.pids}` : '', u.cpuShares !== undefined ? `--cpu-share ${u.cpuShares}` : ''].filter(Boolean).join(' ')} c1`
    : `update -r ${show(resourcesJson(u))} c1`;

function resourcesJson(u: ResourceUpdate): Record<string, unknown> {
  return {
    ...(u.memory !== undefined ? { memory: { limit: u.memory } } : {}),
    ...(u.pids !== undefined ? { pids: { limit: u.pids } } : {}),
    ...(u.cpuShares !== undefined ? { cpu: { shares: u.cpuShares } } : {}),
  };
}

/** runc's cgroup v2 conversion of cpu shares (2..262144) to cpu.weight (1..10000). */
export const sharesToWeight = (shares: number) => 1 + Math.floor(((shares - 2) * 9999) / 262142);

type Resource = 'memory' | 'pids' | 'cpuShares';

/** The cgroup file holding a resource for process `pid` (v1 or v2 spelling), or undefined when its controller is missing. */
function resourceFile(pid: number, resource: Resource): { path: string; version: 1 | 2 } | undefined {
  const cgroup = controllerDirOf(pid, resource === 'cpuShares' ? 'cpu' : resource);
  if (!cgroup) return undefined;
  const name = cgroup.version === 1 ? { memory: 'memory.limit_in_bytes', pids: 'pids.max', cpuShares: 'cpu.shares' }[resource] : { memory: 'memory.max', pids: 'pids.max', cpuShares: 'cpu.weight' }[resource];
  return { path: join(cgroup.dir, name), version: cgroup.version };
}

function readValue(path: string | undefined): string | undefined {
  try {
    return path === undefined ? undefined : readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export const updateResources = property({
  id: 'verbs/update-resources',
  group: 'verbs',
  title: "update sets a running container's memory limit, pids limit and cpu shares in its cgroup, by flags or a resources file, and leaves what it is not given as it was",
  clauses: [clauses.updateResources],
  needs: ['update'],
  arbitrary: () => fc.array(resourceUpdate, { minLength: 1, maxLength: 2 }),
  describe: (updates: ResourceUpdate[]) => updates.map(describeUpdate).join(', then '),
  check: async (updates: ResourceUpdate[], ctx) => {
    const pid = await runningContainer(ctx, [probeInRootfs, '--sleep', '600']);
    const resources = ['memory', 'pids', 'cpuShares'] as const;
    const files = Object.fromEntries(resources.map((r) => [r, resourceFile(pid, r)])) as Record<Resource, ReturnType<typeof resourceFile>>;
    const wanted = Object.fromEntries(resources.map((r) => [r, readValue(files[r]?.path)])) as Record<Resource, string | undefined>;
    for (const [n, u] of updates.entries()) {
      let call: Invocation;
      if (u.via === 'resources-file') {
        const file = join(ctx.dir, `resources-${n}.json`);
        writeFileSync(file, `${JSON.stringify(resourcesJson(u))}\n`);
        call = await ctx.runtime.update('c1', ['-r', file]);
      } else {
        const flags = [
          ...(u.memory !== undefined ? ['--memory', String(u.memory)] : []),
          ...(u.pids !== undefined ? ['--pids-limit', String(u.pids)] : []),
          ...(u.cpuShares !== undefined ? ['--cpu-share', String(u.cpuShares)] : []),
        ];
        call = await ctx.runtime.update('c1', flags);
      }
      expectThat(call.exitCode === 0, clauses.updateResources, () => `${describeUpdate(u)} failed: ${describeCall(call)}`);
      for (const r of resources) {
        const value = u[r];
        // cgroup v2 spells cpu shares as cpu.weight.
        if (value !== undefined) wanted[r] = String(r === 'cpuShares' && files[r]?.version === 2 ? sharesToWeight(value) : value);
      }
      for (const r of resources) {
        const file = files[r];
        expectThat(file !== undefined || wanted[r] === undefined, clauses.updateResources, () => `after ${describeUpdate(u)}, the container's cgroup has no ${r} file to hold ${wanted[r]}`);
        const seen = readValue(file?.path);
        expectThat(seen === wanted[r], clauses.updateResources, () => `after ${describeUpdate(u)}, ${file?.path} holds ${show(seen)}, not ${show(wanted[r])}${u[r] === undefined ? ' (update was not given it, so it must stay as it was)' : ''}`);
      }
    }
    const state = (await ctx.runtime.stateOf('c1')).state;
    expectThat(state?.status === 'running', clauses.updateResources, () => `after update, state says ${show(state?.status)}; the container must go on running`);
    await stopAndDelete(ctx);
  },
});
