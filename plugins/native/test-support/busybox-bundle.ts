import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBerth } from '../../../core/cli/test-support/run-berth.js';
import { stringifyExactJson } from '../../../core/spec/exact-json.js';

/** Debian's busybox-static, the shell payload of the root integration tests. */
export const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

const tools = ['sh', 'echo', 'cat', 'id', 'hostname', 'sleep', 'ls', 'touch', 'mount', 'readlink', 'true', 'false', 'env', 'pwd', 'stat', 'dd', 'seq', 'grep', 'head', 'xargs'];

/**
 * A bundle made by `berth spec` in a fresh directory under `parent`: busybox as its rootfs,
 * terminal off, `args` as the program, then `edit` applied to the config (a bigint is written
 * with all its digits).
 */
export function busyboxBundle(parent: string, args: string[], edit: (config: Record<string, any>) => void = () => {}): string {
  const path = join(parent, `b-${Math.random().toString(36).slice(2)}`);
  const rootfs = join(path, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(busybox!, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const tool of tools) symlinkSync('busybox', join(rootfs, 'bin', tool));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n');
  const spec = runBerth(['spec', '-b', path]);
  if (spec.code !== 0) throw new Error(`berth spec failed: ${spec.stderr}`);
  const config = JSON.parse(readFileSync(join(path, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.process.args = args;
  edit(config);
  writeFileSync(join(path, 'config.json'), stringifyExactJson(config, 2));
  return path;
}
