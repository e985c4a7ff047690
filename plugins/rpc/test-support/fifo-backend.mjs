#!/usr/bin/env node
// TEST DOUBLE: an out-of-process berth backend (plugins/rpc/protocol.ts) with NO isolation. The
// container process is a plain host process that blocks on an exec fifo until `start`, as runc's
// init does, then execs process.args. It exists to test berth's engine, CLI and RPC plumbing with
// real processes before the native backend can run containers; never use it for real workloads.
//
// The optional verbs are test doubles too: pause/resume are SIGSTOP/SIGCONT of the container
// process (no freezer), update only records what it received in the state dir, stats is a fixed
// record, processes is the container process alone, exec spawns a host process. The environment
// variable FIFO_BACKEND_WITHOUT (comma-separated methods, e.g. "berth/pause,berth/exec") leaves
// handlers out, so the program answers MethodNotFound for them as a backend without them would.
// The raw text of the create and update requests is written to the state dir (*.raw.json), so
// tests see the digits berth put on the wire.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const BACKEND = 1009;
const without = new Set((process.env.FIFO_BACKEND_WITHOUT ?? '').split(',').filter(Boolean));
// The raw JSON text of the last request of each method, kept so tests can see what berth sent on the wire.
const rawRequests = new Map();
const recordingDecoder = {
  name: 'application/json',
  decode: async (buffer) => {
    const text = Buffer.from(buffer).toString('utf8');
    const message = JSON.parse(text);
    if (message.method) rawRequests.set(message.method, text);
    return message;
  },
};
const connection = createMessageConnection(new StreamMessageReader(process.stdin, { contentTypeDecoder: recordingDecoder }), new StreamMessageWriter(process.stdout));
const fifoOf = (c) => `${c.stateDir}/exec.fifo`;
const envOf = (proc) => Object.fromEntries((proc.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
/** Register a handler unless FIFO_BACKEND_WITHOUT names the method. */
const optional = (method, handler) => {
  if (!without.has(method)) connection.onRequest(method, handler);
};
const failAt = (c, step) => {
  if (c.spec.annotations?.['test.fifo-backend/fail'] === step) throw new ResponseError(BACKEND, `fifo-backend: injected failure at ${step}`);
};

connection.onRequest('berth/initialize', () => ({ protocolVersion: 1, name: 'fifo-backend' }));

connection.onRequest('berth/create', async ({ container }) => {
  failAt(container, 'create');
  const fifo = fifoOf(container);
  const made = spawnSync('mkfifo', ['-m', '0600', fifo]);
  if (made.status !== 0) throw new ResponseError(BACKEND, `fifo-backend: mkfifo ${fifo} failed`);
  const env = envOf(container.spec.process);
  // fds 3, 4, 5 are berth's stdio: they become the container process's stdio.
  const child = spawn('/bin/sh', ['-c', 'read _ < "$0" && exec "$@"', fifo, ...container.spec.process.args], {
    detached: true,
    stdio: [3, 4, 5],
    cwd: container.rootfs,
    env,
  });
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  child.unref();
  // Exercise berth's callback: run createRuntime at this backend's own sync point.
  await connection.sendRequest('berth/runHooks', { kind: 'createRuntime', pid: child.pid });
  try {
    failAt(container, 'after-spawn');
  } catch (e) {
    // A backend cleans up after its own failed create: berth cannot undo across processes.
    process.kill(child.pid, 'SIGKILL');
    throw e;
  }
  writeFileSync(`${container.stateDir}/fifo-backend-create.raw.json`, rawRequests.get('berth/create'));
  return { pid: child.pid, backendState: { fifo } };
});

connection.onRequest('berth/start', ({ container }) => {
  failAt(container, 'start');
  let fd;
  try {
    fd = openSync(fifoOf(container), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ResponseError(BACKEND, `fifo-backend: the container process is not waiting to start (${e.code})`);
  }
  writeSync(fd, '\n');
  closeSync(fd);
  rmSync(fifoOf(container), { force: true });
  return null;
});

connection.onRequest('berth/kill', ({ container, signal }) => {
  process.kill(container.pid, signal);
  return null;
});

connection.onRequest('berth/delete', ({ container, force }) => {
  if (force && container.pid > 0) {
    try {
      process.kill(container.pid, 'SIGKILL');
    } catch {}
  }
  if (existsSync(fifoOf(container))) rmSync(fifoOf(container));
  return null;
});

optional('berth/pause', ({ container }) => {
  process.kill(container.pid, 'SIGSTOP');
  return null;
});

optional('berth/resume', ({ container }) => {
  process.kill(container.pid, 'SIGCONT');
  return null;
});

optional('berth/update', ({ container, resources }) => {
  writeFileSync(`${container.stateDir}/fifo-backend-update.json`, JSON.stringify(resources));
  writeFileSync(`${container.stateDir}/fifo-backend-update.raw.json`, rawRequests.get('berth/update'));
  return null;
});

optional('berth/stats', () => ({ pids: { current: 1 }, memory: { usage: { usage: 4096, limit: 8192, failcnt: 0 } } }));

optional('berth/processes', ({ container }) => [container.pid]);

optional('berth/exec', async ({ container, process: proc, detach, preserveFds }) => {
  // fds 3, 4, 5 are berth's stdio, 6.. the preserved fds: the process's 0, 1, 2, 3...
  const stdio = [3, 4, 5, ...Array.from({ length: preserveFds }, (_, i) => 6 + i)];
  const child = spawn(proc.args[0], proc.args.slice(1), { detached: detach, stdio, cwd: container.rootfs, env: envOf(proc) });
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) => reject(new ResponseError(BACKEND, `fifo-backend: cannot run ${proc.args[0]}: ${e.code}`)));
  });
  if (detach) child.unref();
  else {
    child.once('exit', (code, signal) => {
      const status = code ?? 128 + osConstants.signals[signal];
      connection.sendNotification('berth/execExited', { pid: child.pid, status });
    });
  }
  return { pid: child.pid };
});

connection.onClose(() => process.exit(0));
connection.listen();
