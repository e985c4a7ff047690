import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berthBin, runBerth } from '../../../core/cli/test-support/run-berth.js';
import { createFaultSteps } from '../../../core/lifecycle/fault-injection.js';
import { caseMarker, caseProcesses, hostMountsUnder, parseMountInfo, stateEntries } from '../../../spec-tests/conformance/residue.js';
import { nativeCreateFaultSteps } from '../native-backend.js';
import { busyboxBundle } from '../test-support/busybox-bundle.js';
import { nativeSkipReason } from '../test-support/native-suite.js';

/**
 * issue 11: a `berth create` (or `run`) killed with SIGKILL anywhere, then `delete --force`, leaves
 * nothing: no state directory, no cgroup directory in any hierarchy, no mount, no process. Driven
 * through the built CLI as a manager would; berth stops dead at every create step and the helper
 * or container process before every op of the compiled plan (BERTH_FAULT, test only), then at
 * random delays as an outside tester did. Root only.
 * BERTH_CRASH_TRIES sets how many random kills each randomized test makes (CI: 16), and
 * BERTH_CRASH_DELAYS=MIN-MAX (ms) where they fall (else anywhere in 1.3 times a measured create).
 */
const suite = nativeSkipReason ? describe.skip : describe;
const randomTries = Number(process.env.BERTH_CRASH_TRIES ?? 16) || 16;
const delayWindow = /^([0-9]+)-([0-9]+)$/.exec(process.env.BERTH_CRASH_DELAYS ?? '')?.slice(1).map(Number);
const prefix = `cr-${randomBytes(4).toString('hex')}`;

let dir = '';
let bundle = '';
let hookDir = '';
let tries = 0;
const root = () => join(dir, 'root');

beforeAll(() => {
  if (nativeSkipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'berth-crash-'));
  hookDir = join(dir, 'hooks');
  mkdirSync(hookDir);
  mkdirSync(join(dir, 'shared'));
  bundle = busyboxBundle(dir, ['sleep', '30']);
});
afterAll(() => {
  if (!dir) return;
  // What a failing run left, so the machine is clean again (every assertion was made before).
  for (const p of caseProcesses(dir)) signal(p.pid);
  for (const pid of readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`${caseMarker}=${dir}/`)) signal(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  for (const m of cgroupMounts()) {
    for (const top of readdirSync(m.mountPoint).filter((name) => name.startsWith(`${prefix}-`))) removeTree(join(m.mountPoint, top));
  }
  rmSync(dir, { recursive: true, force: true });
});

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

function removeTree(cgroup: string): void {
  for (const entry of readdirSync(cgroup, { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(cgroup, entry.name));
  for (const pid of readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) signal(Number(pid));
  for (let i = 0; i < 100; i++) {
    try {
      rmdirSync(cgroup);
      return;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

function cgroupMounts() {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
}

/** The test's config: cgroup limits under a cgroup path of its own, a bind mount, a tmpfs and create-phase hooks. */
function configure(id: string, cgroupTop: string, edit: (config: Record<string, any>) => void = () => {}): void {
  const path = join(bundle, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  config.linux.cgroupsPath = `/${cgroupTop}/${id}`;
  config.linux.resources = { ...config.linux.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 32 }, cpu: { shares: 512 } };
  config.mounts = config.mounts.filter((m: { destination: string }) => m.destination !== '/shared' && m.destination !== '/scratch');
  config.mounts.push({ destination: '/shared', type: 'bind', source: join(dir, 'shared'), options: ['rbind', 'ro'] });
  config.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  // prestart and createRuntime run on the host, createContainer inside the container (berth-helper enter).
  const hook = (kind: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > /dev/null; echo ${kind} >> ${hookDir}/${id}`] });
  config.hooks = { prestart: [hook('prestart')], createRuntime: [hook('createRuntime')], createContainer: [hook('createContainer')] };
  config.process.args = ['sleep', '30'];
  edit(config);
  writeFileSync(path, JSON.stringify(config, null, 2));
}

interface Attempt {
  id: string;
  cgroupTop: string;
  /** What this try's processes carry in their environment (the marker's value). */
  marker: string;
  /** Processes of the test's directory before this try (an earlier try's, reported there). */
  earlier: Set<number>;
}

function nextAttempt(edit?: (config: Record<string, any>) => void): Attempt {
  const n = tries++;
  const attempt = { id: `${prefix}-${n}`, cgroupTop: `${prefix}-cg${n}`, marker: join(dir, 'tries', String(n)), earlier: new Set(caseProcesses(dir).map((p) => p.pid)) };
  configure(attempt.id, attempt.cgroupTop, edit);
  return attempt;
}

/** berth with the try's marker, which every process it starts inherits (the helper, and the container process until it execs). */
function startBerth(a: Attempt, args: string[], fault?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, [caseMarker]: a.marker };
  delete env.NODE_EXTRA_CA_CERTS;
  if (fault) env.BERTH_FAULT = fault;
  const outPath = join(dir, `out-${tries}`);
  const out = openSync(outPath, 'w+');
  const child = spawn(process.execPath, [berthBin, '--root', root(), ...args], { stdio: ['ignore', out, out], env });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.once('exit', (code, signal) => {
      closeSync(out);
      const output = readFileSync(outPath, 'utf8');
      rmSync(outPath, { force: true });
      resolve({ code, signal, output });
    }),
  );
  return { child, exited };
}

const createArgs = (a: Attempt) => ['create', '-b', bundle, '--pid-file', join(dir, `${a.id}.pid`), a.id];
const runArgs = (a: Attempt) => ['run', '-b', bundle, a.id];

/** What the attempt left on the host after `delete --force`; [] when nothing. */
function residue(a: Attempt): string[] {
  const found: string[] = [];
  for (const path of stateEntries(root(), a.id)) found.push(`state entry ${path}`);
  // Every hierarchy: each v1 one and the unified v2 one.
  for (const m of cgroupMounts()) {
    if (existsSync(join(m.mountPoint, a.cgroupTop))) found.push(`cgroup directory ${join(m.mountPoint, a.cgroupTop)}`);
  }
  for (const point of hostMountsUnder(dir)) found.push(`host mount ${point}`);
  for (const m of parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.root.includes(dir.slice(1)))) found.push(`host mount of ${m.root} at ${m.mountPoint}`);
  // By the try's marker, or (a container that exec'd its program) by a root in the test's directory.
  // Zombies count as dead: this host's pid 1 does not reap the orphans it inherits.
  const processes = new Map([...caseProcesses(a.marker), ...caseProcesses(dir).filter((p) => !a.earlier.has(p.pid))].map((p) => [p.pid, p.command]));
  for (const [pid, command] of processes) found.push(`process ${pid} (${command})`);
  // No id range: the native backend allocates none (a user namespace gets the config's mappings as
  // they are). A backend that hands out subordinate id ranges checks here that this one's is free again.
  return found;
}

/** `delete --force`, then what is wrong: its output when it did not quietly succeed, and what it left. */
function deleteForce(a: Attempt, what: string): string[] {
  const deleted = runBerth(['--root', root(), 'delete', '--force', a.id]);
  const problems = deleted.code === 0 && deleted.stdout === '' && deleted.stderr === '' ? [] : [`delete --force: exit ${deleted.code}: ${deleted.stdout}${deleted.stderr}`.trim()];
  return [...problems, ...residue(a)].map((p) => `${what}: ${p}`);
}

/** Every try's problems, reported at once with how many tries had any. */
function expectNone(problems: string[][]): void {
  const bad = problems.filter((p) => p.length > 0);
  expect({ badTries: `${bad.length} of ${problems.length}`, problems: bad.flat() }).toEqual({ badTries: `0 of ${problems.length}`, problems: [] });
}

/** The compiled plan of the test's config, as `berth plan` shows it: how many ops each section has. */
function planSections(): Record<'pre' | 'parent' | 'child', string[]> {
  configure(`${prefix}-plan`, `${prefix}-plan`);
  const r = runBerth(['plan', '-b', bundle]);
  expect(r.code).toBe(0);
  const { plan } = JSON.parse(r.stdout);
  const names = (ops: { op: string }[]) => ops.map((o) => o.op);
  return { pre: names(plan.pre), parent: names(plan.parent), child: names(plan.child) };
}

/** How long a whole create takes here, so random kills spread over all of it. */
async function createDuration(): Promise<number> {
  const a = nextAttempt();
  const started = Date.now();
  const { exited } = startBerth(a, createArgs(a));
  const result = await exited;
  const took = Date.now() - started;
  expect({ ...result }).toMatchObject({ code: 0, output: '' });
  expectNone([deleteForce(a, 'a create that finished')]);
  return took;
}

suite(`native backend: a killed create leaves nothing delete --force does not remove${nativeSkipReason ? ` (skipped: ${nativeSkipReason})` : ''}`, () => {
  it('a normal create, start and delete still work, with the create-phase hooks run once each', async () => {
    const a = nextAttempt((c) => (c.process.args = ['sh', '-c', 'exit 0']));
    const { exited } = startBerth(a, createArgs(a));
    expect(await exited).toMatchObject({ code: 0, output: '' });
    expect(readFileSync(join(hookDir, a.id), 'utf8')).toBe('prestart\ncreateRuntime\ncreateContainer\n');
    expect(JSON.parse(runBerth(['--root', root(), 'state', a.id]).stdout).status).toBe('created');
    expect(runBerth(['--root', root(), 'start', a.id]).code).toBe(0);
    expectNone([deleteForce(a, 'after start')]);
  });

  it('a container whose pids limit is 1 still runs: the helper is not in its cgroups', async () => {
    const a = nextAttempt((c) => {
      c.linux.resources.pids = { limit: 1 };
      c.process.args = ['echo', 'one process'];
    });
    const { exited } = startBerth(a, runArgs(a));
    expect(await exited).toMatchObject({ code: 0, output: 'one process\n' });
    expect(residue(a)).toEqual([]);
  });

  it('berth killed at every step of create', async () => {
    const steps = [...createFaultSteps.slice(0, 2), ...nativeCreateFaultSteps, ...createFaultSteps.slice(2)];
    const problems: string[][] = [];
    for (const step of steps) {
      const a = nextAttempt();
      const { exited } = startBerth(a, createArgs(a), `create:${step}`);
      const result = await exited;
      // Killed by the fault, so the step was reached.
      const reached = result.signal === 'SIGKILL' ? [] : [`create:${step}: berth was not killed there (exit ${result.code}): ${result.output}`];
      problems.push([...reached, ...deleteForce(a, `create killed ${step}`)]);
    }
    expectNone(problems);
  }, 300_000);

  it('the helper or the container process stopped dead before every op of the plan', async () => {
    const sections = planSections();
    const ready = sections.child.indexOf('WAIT_START');
    expect(ready).toBeGreaterThan(0);
    const problems: string[][] = [];
    for (const section of ['pre', 'parent', 'child'] as const) {
      for (let index = 0; index <= sections[section].length; index++) {
        const a = nextAttempt();
        const where = `plan:${section}:${index} (before ${sections[section][index] ?? 'the end'})`;
        const { exited } = startBerth(a, createArgs(a), `plan:${section}:${index}`);
        const result = await exited;
        // berth itself lives on: it reports the failure (and undoes create), or, for a stop past the
        // helper's last op or the exec fifo, there was nothing to fail and the container was created.
        const failed = section === 'pre' || (section === 'parent' && index < sections.parent.length) || (section === 'child' && index <= ready);
        const outcome = result.code === (failed ? 1 : 0) && result.signal === null ? [] : [`${where}: create ended with ${result.signal ?? `exit ${result.code}`}, expected exit ${failed ? 1 : 0}: ${result.output}`];
        const started = failed || runBerth(['--root', root(), 'start', a.id]).code === 0 ? [] : [`${where}: start failed`];
        problems.push([...outcome, ...started, ...deleteForce(a, where)]);
      }
    }
    expect(problems).toHaveLength(sections.pre.length + sections.parent.length + sections.child.length + 3);
    expectNone(problems);
  }, 300_000);

  it('berth killed while the createContainer hook runs inside the container', async () => {
    const a = nextAttempt((c) => {
      c.hooks.createContainer = [{ path: '/bin/sh', args: ['sh', '-c', `touch ${hookDir}/${tries}-inside; exec sleep 30`] }];
    });
    const flag = join(hookDir, `${tries}-inside`);
    const { child, exited } = startBerth(a, createArgs(a));
    for (let i = 0; i < 500 && !existsSync(flag); i++) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(flag)).toBe(true);
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    expectNone([deleteForce(a, 'during the createContainer hook')]);
  });

  it('run killed once the container runs: its foreground helper dies with it, the container stays until delete --force', async () => {
    const a = nextAttempt();
    const { child, exited } = startBerth(a, runArgs(a));
    const status = () => JSON.parse(runBerth(['--root', root(), 'state', a.id]).stdout || '{}').status;
    for (let i = 0; i < 200 && status() !== 'running'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(status()).toBe('running');
    // Besides berth, the helper carries the try's marker; the container's program has its own environment.
    expect(caseProcesses(a.marker).filter((p) => p.pid !== child.pid).map((p) => p.command)).toEqual([expect.stringMatching(/berth-helper exec$/)]);
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    for (let i = 0; i < 50 && caseProcesses(a.marker).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(caseProcesses(a.marker)).toEqual([]);
    expect(status()).toBe('running');
    expectNone([deleteForce(a, 'run killed while its container runs')]);
  });

  it.each(['create', 'run'] as const)('%s killed at random delays (BERTH_CRASH_TRIES)', async (verb) => {
    const [from, span] = delayWindow ? [delayWindow[0]!, delayWindow[1]! - delayWindow[0]!] : [0, (await createDuration()) * 1.3];
    const problems: string[][] = [];
    for (let i = 0; i < randomTries; i++) {
      const a = nextAttempt();
      const delay = Math.round(from + Math.random() * span);
      const what = `${verb} killed after ${delay} ms of ${Math.round(from + span)}`;
      const { child, exited } = startBerth(a, verb === 'create' ? createArgs(a) : runArgs(a));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const result = await exited;
      clearTimeout(timer);
      // Killed, or too late to kill: the create finished (and, for run, the container still runs).
      const failed = result.code === 1 ? [`${what}: berth failed on its own: ${result.output}`] : [];
      problems.push([...failed, ...deleteForce(a, what)]);
    }
    expect(problems).toHaveLength(randomTries);
    expectNone(problems);
  }, 600_000);
});
