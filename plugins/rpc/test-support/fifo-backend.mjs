#!/usr/bin/env node
// TEST DOUBLE: an out-of-process berth backend (plugins/rpc/protocol.ts) with NO isolation. The
// container process is a plain host process that blocks on an exec fifo until `start`, as runc's
// init does, then execs process.args. It exists to test berth's engine, CLI and RPC plumbing with
// real processes before the native backend can run containers; never use it for real workloads.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const BACKEND = 1009;
const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
const fifoOf = (c) => `${c.stateDir}/exec.fifo`;
const failAt = (c, step) => {
  if (c.spec.annotations?.['test.fifo-backend/fail'] === step) throw new ResponseError(BACKEND, `fifo-backend: injected failure at ${step}`);
};

connection.onRequest('berth/initialize', () => ({ protocolVersion: 1, name: 'fifo-backend' }));

connection.onRequest('berth/create', async ({ container }) => {
  failAt(container, 'create');
  const fifo = fifoOf(container);
  const made = spawnSync('mkfifo', ['-m', '0600', fifo]);
  if (made.status !== 0) throw new ResponseError(BACKEND, `fifo-backend: mkfifo ${fifo} failed`);
  const env = Object.fromEntries((container.spec.process.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
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

connection.onClose(() => process.exit(0));
connection.listen();
