import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBerth, runBerthAsync } from '../../core/cli/test-support/run-berth.js';
import { rpcDescriptor } from './descriptor.js';

/**
 * berth's CLI, engine and the rpc backend end to end, with real processes: the backend program is
 * test-support/fifo-backend.mjs, a test double without isolation (the native backend cannot run
 * containers yet). What is asserted is what a manager observes: exit codes, state JSON, pid files,
 * hooks, log lines, and nothing left behind.
 */
const fifoBackend = join(import.meta.dirname, 'test-support', 'fifo-backend.mjs');
let dir: string;
let root: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-rpc-'));
  root = join(dir, 'root');
});
afterEach(() => {
  for (const id of existsSync(root) ? readdirSync(root) : []) runBerth(['--root', root, 'delete', '--force', id]);
  rmSync(dir, { recursive: true, force: true });
});

const berth = (...args: string[]) => runBerth(['--root', root, ...args]);
const state = (id: string) => JSON.parse(berth('state', id).stdout);
const isAlive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** Live processes whose command line contains `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^[0-9]+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text) && isAlive(Number(p));
      } catch {
        return false;
      }
    })
    .map(Number);
}

function bundle(args: string[], edit: (config: Record<string, any>) => void = () => {}): string {
  const path = join(dir, `bundle-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(path, 'rootfs'), { recursive: true });
  expect(runBerth(['spec', '-b', path]).code).toBe(0);
  const config = JSON.parse(readFileSync(join(path, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.process.args = args;
  config.annotations = { 'run.berth.backend': 'rpc', 'run.berth.rpc.command': fifoBackend };
  edit(config);
  writeFileSync(join(path, 'config.json'), JSON.stringify(config));
  return path;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('rpc backend through the CLI', () => {
  it('create does not run the program; start does; kill stops it; delete leaves nothing', async () => {
    const marker = join(dir, 'ran');
    const b = bundle(['sh', '-c', `echo yes > ${marker}; exec sleep 100`]);
    const pidFile = join(dir, 'c1.pid');
    expect(berth('create', '--bundle', b, '--pid-file', pidFile, 'c1').code).toBe(0);
    const created = state('c1');
    expect(created).toMatchObject({ id: 'c1', status: 'created', bundle: b });
    expect(readFileSync(pidFile, 'utf8')).toBe(String(created.pid));
    expect(isAlive(created.pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(marker)).toBe(false);

    expect(berth('start', 'c1').code).toBe(0);
    await until(() => existsSync(marker), 'the program to run');
    expect(state('c1')).toMatchObject({ status: 'running', pid: created.pid });

    const before = berth('state', 'c1').stdout;
    const again = berth('start', 'c1');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('c1: cannot start an already running container\n');
    expect(berth('state', 'c1').stdout).toBe(before);

    expect(berth('kill', 'c1', 'KILL').code).toBe(0);
    await until(() => state('c1').status === 'stopped', 'the container to stop');
    expect(state('c1').pid).toBe(0);
    const killStopped = berth('kill', 'c1', '15');
    expect(killStopped.code).toBe(1);
    expect(killStopped.stderr).toBe('c1: container not running\n');

    expect(berth('delete', 'c1').code).toBe(0);
    expect(berth('state', 'c1').stderr).toBe('c1: container does not exist\n');
    expect(readdirSync(root)).toEqual([]);
  });

  it('run -d passes berth\'s stdio to the container and the id is reusable after delete', () => {
    const b = bundle(['sh', '-c', 'echo hello from the container; echo to stderr >&2']);
    const r = berth('run', '-d', '--bundle', b, 'r1');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from the container\n');
    expect(r.stderr).toBe('to stderr\n');
    expect(berth('delete', 'r1').code).toBe(0);
    expect(berth('run', '-d', '--bundle', b, 'r1').code).toBe(0);
  });

  it('of many concurrent berth processes creating one id, exactly one wins', async () => {
    const b = bundle(['sleep', '100']);
    const results = await Promise.all(Array.from({ length: 6 }, () => runBerthAsync(['--root', root, 'create', '--bundle', b, 'same'])));
    expect(results.filter((r) => r.code === 0)).toHaveLength(1);
    for (const r of results.filter((r) => r.code !== 0)) expect(r.stderr).toBe('same: container with given ID already exists\n');
    expect(state('same').status).toBe('created');
  });

  it('runs each hook exactly once, including one the backend runs at its own sync point', async () => {
    const log = join(dir, 'hooks');
    const hook = (kind: string) => ({ path: '/bin/sh', args: ['sh', '-c', `read -r s; echo "${kind} $s" >> ${log}`] });
    const kinds = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
    const b = bundle(['sleep', '100'], (c) => (c.hooks = Object.fromEntries(kinds.map((k) => [k, [hook(k)]]))));
    expect(berth('create', '-b', b, 'h1').code).toBe(0);
    expect(berth('start', 'h1').code).toBe(0);
    expect(berth('delete', '--force', 'h1').code).toBe(0);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    // The backend called createRuntime itself during create, before berth's default moment for prestart.
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['createRuntime', 'prestart', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    const statuses = lines.map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)).status);
    expect(statuses).toEqual(['creating', 'creating', 'creating', 'created', 'running', 'stopped']);
  });

  it('a backend failure at create is reported with the backend\'s message, in the JSON log too, and leaves nothing', () => {
    for (const step of ['create', 'after-spawn']) {
      const b = bundle(['sleep', '100'], (c) => (c.annotations['test.fifo-backend/fail'] = step));
      const log = join(dir, `log-${step}.json`);
      const r = runBerth(['--root', root, '--log', log, '--log-format', 'json', 'create', '-b', b, `f-${step}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`fifo-backend: injected failure at ${step}\n`);
      expect(JSON.parse(readFileSync(log, 'utf8'))).toMatchObject({ level: 'error', msg: `fifo-backend: injected failure at ${step}` });
      expect(readdirSync(root)).toEqual([]);
      expect(processesMentioning(join(root, `f-${step}`))).toEqual([]);
    }
  });

  it('check reports a missing or relative backend command at its annotation pointer', () => {
    const b = bundle(['true'], (c) => (c.annotations['run.berth.rpc.command'] = 'relative/backend'));
    const r = runBerth(['check', '-b', b]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('/annotations/run.berth.rpc.command: must be an absolute path, got "relative/backend"\n');
    expect(rpcDescriptor.validate!({ ociVersion: '1.3.0', annotations: {} })[0]!.message).toContain('is required by the rpc backend');
  });

  it('a backend program that cannot start is a clear error', () => {
    const b = bundle(['true'], (c) => (c.annotations['run.berth.rpc.command'] = '/nonexistent/backend'));
    const r = berth('create', '-b', b, 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rpc backend /nonexistent/backend: cannot start');
    expect(readdirSync(root)).toEqual([]);
  });

  it('delete --force stops a running container and the process is gone', async () => {
    const b = bundle(['sleep', '100']);
    expect(berth('run', '-d', '-b', b, 'df').code).toBe(0);
    const { pid } = state('df');
    const refused = berth('delete', 'df');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('cannot delete container df that is not stopped: running\n');
    expect(berth('delete', '-f', 'df').code).toBe(0);
    await until(() => !isAlive(pid), 'the process to go');
    expect(readdirSync(root)).toEqual([]);
  });
});

/** The process state letter /proc shows (T when stopped by SIGSTOP). */
const procState = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];

describe('the optional verbs over rpc (the fifo-backend double: pause is SIGSTOP, exec a host process)', () => {
  it('pause and resume: state follows, the backend stopped and continued the process, refusals are runc\'s', async () => {
    const b = bundle(['sleep', '100']);
    expect(berth('run', '-d', '-b', b, 'p1').code).toBe(0);
    const { pid } = state('p1');
    const pause = berth('pause', 'p1');
    expect(pause.code, pause.stderr).toBe(0);
    expect(state('p1')).toMatchObject({ status: 'paused', pid });
    await until(() => procState(pid) === 'T', 'the process to be stopped');
    const pauseAgain = berth('pause', 'p1');
    expect(pauseAgain.stderr).toBe('p1: container not running\n');

    expect(berth('resume', 'p1').code).toBe(0);
    expect(state('p1')).toMatchObject({ status: 'running', pid });
    await until(() => procState(pid) !== 'T', 'the process to continue');
    const again = berth('resume', 'p1');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('p1: container not paused\n');
  });

  it('64-bit values travel to the backend as JSON numbers with every digit (protocol.ts), in create and update', () => {
    const b = bundle(['sleep', '100'], (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_CORE', hard: 'U64MAX', soft: 'U64MAX' }];
    });
    writeFileSync(join(b, 'config.json'), readFileSync(join(b, 'config.json'), 'utf8').replaceAll('"U64MAX"', '18446744073709551615'));
    const run = berth('run', '-d', '-b', b, 'x64');
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(root, 'x64', 'fifo-backend-create.raw.json'), 'utf8')).toContain('"rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615}]');
    const r = runBerth(['--root', root, 'update', '-r', '-', 'x64'], { input: '{"memory": {"limit": 9223372036854775807}, "cpu": {"shares": 18446744073709551615}}' });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(root, 'x64', 'fifo-backend-update.raw.json'), 'utf8')).toContain('"resources":{"memory":{"limit":9223372036854775807},"cpu":{"shares":18446744073709551615}}');
    // The frozen config keeps them too, every digit, for the next reader.
    expect(readFileSync(join(root, 'x64', 'config.json'), 'utf8')).toContain('"limit":9223372036854775807');
  });

  it('update delivers the merged flags and -r document to the backend', () => {
    const b = bundle(['sleep', '100']);
    expect(berth('run', '-d', '-b', b, 'u1').code).toBe(0);
    const r = runBerth(['--root', root, 'update', '-r', '-', '--memory', '64m', '--pids-limit', '20', 'u1'], { input: JSON.stringify({ cpu: { shares: 512 }, memory: { limit: 1 } }) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(root, 'u1', 'fifo-backend-update.json'), 'utf8'))).toEqual({ cpu: { shares: 512 }, memory: { limit: 67108864 }, pids: { limit: 20 } });
  });

  it('events --stats prints one stats record with the backend\'s figures; ps --format json its pids', () => {
    const b = bundle(['sleep', '100']);
    expect(berth('run', '-d', '-b', b, 'e1').code).toBe(0);
    const events = berth('events', '--stats', 'e1');
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout).toBe(`${JSON.stringify({ type: 'stats', id: 'e1', data: { pids: { current: 1 }, memory: { usage: { usage: 4096, limit: 8192, failcnt: 0 } } } })}\n`);
    const ps = berth('ps', '--format', 'json', 'e1');
    expect(ps.code, ps.stderr).toBe(0);
    expect(JSON.parse(ps.stdout)).toEqual([state('e1').pid]);
  });

  it('exec runs the process with berth\'s stdio and exits with its status; --detach --pid-file leaves it running', async () => {
    const b = bundle(['sleep', '100']);
    expect(berth('run', '-d', '-b', b, 'x1').code).toBe(0);
    const r = berth('exec', '--env', 'WHO=exec', 'x1', 'sh', '-c', 'echo "hello from $WHO"; echo oops >&2; exit 6');
    expect(r).toEqual({ code: 6, stdout: 'hello from exec\n', stderr: 'oops\n' });

    const pidFile = join(dir, 'exec.pid');
    const d = berth('exec', '-d', '--pid-file', pidFile, 'x1', 'sleep', '100');
    expect(d.code, d.stderr).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
  });

  it('a backend program without the methods answers MethodNotFound, which berth refuses as a missing verb, changing nothing', () => {
    const methods = ['pause', 'resume', 'update', 'stats', 'processes', 'exec'].map((m) => `berth/${m}`);
    const minimal = join(dir, 'minimal-backend');
    writeFileSync(minimal, `#!/bin/sh\nFIFO_BACKEND_WITHOUT=${methods.join(',')} exec ${process.execPath} ${fifoBackend}\n`, { mode: 0o755 });
    const b = bundle(['sleep', '100'], (c) => (c.annotations['run.berth.rpc.command'] = minimal));
    expect(berth('run', '-d', '-b', b, 'm1').code).toBe(0);
    const before = berth('state', 'm1').stdout;
    for (const [args, command] of [
      [['pause', 'm1'], 'pause'],
      [['update', '--memory', '1g', 'm1'], 'update'],
      [['events', '--stats', 'm1'], 'events'],
      [['ps', 'm1'], 'ps'],
      [['exec', 'm1', 'true'], 'exec'],
      [['exec', '-d', 'm1', 'true'], 'exec'],
    ] as const) {
      const r = berth(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`m1: the rpc backend does not support ${command}\n`);
      expect(berth('state', 'm1').stdout).toBe(before);
    }
  });
});
