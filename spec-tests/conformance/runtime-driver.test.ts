import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeDriver, unsafeIdArgument } from './runtime-driver.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in runtime that records its arguments: proof of whether the driver called it at all. */
function recordingRuntime(): { path: string; calls: () => string } {
  const path = join(dir, 'runtime.sh');
  const log = join(dir, 'calls.log');
  writeFileSync(path, `#!/bin/sh\necho "$*" >> ${log}\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') };
}

describe('RuntimeDriver never passes an id that names --root or a directory above it', () => {
  it('refuses "", ".", ".." and their spellings before any runtime runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-driver-'));
    mkdirSync(join(dir, 'case'));
    const runtime = recordingRuntime();
    const driver = new RuntimeDriver(runtime.path, join(dir, 'case', 'root'), join(dir, 'io'), join(dir, 'case'));
    for (const id of ['', '.', '..', './', '../', '../..', 'a/..', 'a/../..', './.', '.././..']) {
      await expect(driver.invoke(['delete', '--force', id])).rejects.toThrow(/refusing to call a runtime/);
      expect(() => driver.id(id)).toThrow(/refusing to call a runtime/);
    }
    expect(() => driver.delete('..', true)).toThrow(/names --root or a directory above it/);
    expect(runtime.calls()).toBe('');
    // The directory above --root is still there, and so is the case's.
    expect(existsSync(join(dir, 'case'))).toBe(true);
  });

  it('passes plain ids, odd ones inside --root, a sibling of --root and absolute paths (bundles) as they are', async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-driver-'));
    const runtime = recordingRuntime();
    const root = join(dir, 'root');
    const driver = new RuntimeDriver(runtime.path, root, join(dir, 'io'), dir);
    for (const id of ['c1', '.hidden', '..a', 'a..b', 'a/b', '../victim', ' ', 'é']) expect(unsafeIdArgument(root, id)).toBe(false);
    expect((await driver.invoke(['create', '--bundle', dir, 'c1'])).exitCode).toBe(0);
    expect((await driver.invoke(['state', '../victim'])).exitCode).toBe(0);
    expect(runtime.calls()).toBe(`--root ${root} create --bundle ${dir} c1\n--root ${root} state ../victim\n`);
  });
});
