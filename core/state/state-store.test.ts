import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors/runtime-error.js';
import type { ContainerRecord } from './container-record.js';
import { IdLock } from './id-lock.js';
import { identify, liveness, parseProcStat } from './process-identity.js';
import { StateStore } from './state-store.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const record = (id: string): ContainerRecord => ({
  recordVersion: 1,
  id,
  ociVersion: '1.3.0',
  bundle: '/b',
  rootfs: '/b/rootfs',
  created: '2026-01-01T00:00:00.000Z',
  owner: '',
  phase: 'created',
  backend: { name: 'native', reason: 'default' },
});

describe('StateStore frozen config', () => {
  it('reads integers exactly, and a text frozen by an older berth (a repeated key) as JSON.parse did', () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
    const store = new StateStore(join(dir, 'root'));
    store.claim('x');
    store.writeFrozenConfig('x', '{"process":{"rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":0}]}}');
    expect(store.readFrozenConfig('x')).toEqual({ process: { rlimits: [{ type: 'RLIMIT_CORE', hard: 18446744073709551615n, soft: 0 }] } });
    store.writeFrozenConfig('x', '{"hostname":"a","hostname":"b"}');
    expect(store.readFrozenConfig('x')).toEqual({ hostname: 'b' });
    store.writeFrozenConfig('x', '{"hostname":');
    expect(() => store.readFrozenConfig('x')).toThrow('x: the config frozen at create is corrupt');
  });
});

describe('StateStore', () => {
  it('claims an id once; the second claim gets runc\'s "already exists" text', () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
    const store = new StateStore(join(dir, 'root'));
    store.claim('x');
    expect(() => store.claim('x')).toThrow('x: container with given ID already exists');
    expect(statSync(join(dir, 'root')).mode & 0o777).toBe(0o711);
  });

  it('writes atomically: no temporary file is left and the record reads back equal', () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
    const store = new StateStore(join(dir, 'root'));
    store.claim('x');
    store.write(record('x'));
    expect(store.read('x')).toEqual(record('x'));
    expect(readdirSync(store.containerDir('x'))).toEqual(['state.json']);
  });

  it('reports an unknown id with runc\'s "does not exist", and an unsafe id as an argument error', () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
    const store = new StateStore(join(dir, 'root'));
    expect(() => store.read('nope')).toThrow('nope: container does not exist');
    for (const bad of ['../etc', 'a/b', '..', '']) {
      expect(() => store.read(bad)).toThrowError(RuntimeError);
      expect(() => store.containerDir(bad)).toThrow(/container id/);
    }
    expect(store.list()).toEqual([]);
  });
});

describe('IdLock', () => {
  it('serializes holders of the same id across processes and frees the lock when its holder dies', async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
    const root = join(dir, 'root');
    // Another process takes the lock (same naming scheme) and is killed while holding it.
    const holder = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `import net from 'node:net'; import { createHash } from 'node:crypto';
       const name = '\\0berth/' + createHash('sha256').update(${JSON.stringify(root)} + '\\0' + 'c1').digest('hex').slice(0, 40);
       net.createServer().listen({ path: name }, () => console.log('held'));`,
    ]);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const lock = new IdLock(root, 5_000);
    const started = Date.now();
    setTimeout(() => holder.kill('SIGKILL'), 300);
    const release = await lock.acquire('c1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await release();
  });

  it('gives up with a LOCKED error naming the id after its timeout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
    const first = new IdLock(join(dir, 'root'), 100);
    const release = await first.acquire('busy');
    await expect(first.acquire('busy')).rejects.toMatchObject({ kind: 'LOCKED', message: expect.stringContaining('busy:') });
    await release();
    await (await first.acquire('busy'))();
  });

  it('does not serialize different ids or different roots', async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
    const a = await new IdLock(join(dir, 'r1'), 100).acquire('same');
    const b = await new IdLock(join(dir, 'r2'), 100).acquire('same');
    const c = await new IdLock(join(dir, 'r1'), 100).acquire('other');
    await Promise.all([a(), b(), c()]);
  });
});

describe('process identity', () => {
  it('parses /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
    const line = '1234 (a b) c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10';
    expect(parseProcStat(line)).toEqual({ state: 'S', ppid: 1, startTime: '987654' });
  });

  it('tells this process alive and a wrong start time gone', () => {
    const me = identify(process.pid)!;
    expect(liveness(me)).toBe('alive');
    expect(liveness({ pid: process.pid, startTime: `${me.startTime}0` })).toBe('gone');
    expect(liveness({ pid: 0, startTime: me.startTime })).toBe('gone');
  });
});
