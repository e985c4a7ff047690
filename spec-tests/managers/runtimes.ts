import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type RuntimeName = 'berth' | 'runc' | 'crun';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The built CLI, the only part of berth these suites may use. */
export const berthCli = join(repoRoot, 'dist', 'berth.cjs');

/**
 * Managers run a runtime by path and pick its global flags by the path's basename (podman passes
 * `--log-format=json --log FILE` only to names in `runtime_supports_json`), so berth needs an
 * executable literally named `berth`. It names node by absolute path: conmon and containerd's
 * shim run it with a PATH of their own.
 */
function writeBerthWrapper(): string {
  // One per checkout, so two clones testing at once each run their own build.
  const checkout = createHash('sha256').update(repoRoot).digest('hex').slice(0, 8);
  const wrapper = join(tmpdir(), `berth-managers-e2e-${checkout}`, 'bin', 'berth');
  mkdirSync(dirname(wrapper), { recursive: true });
  writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${berthCli}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/** Every runtime the managers' scenarios run against; berth first, as it is the one CI checks. */
export const runtimes: { name: RuntimeName; path: string }[] = [
  { name: 'berth', path: writeBerthWrapper() },
  { name: 'runc', path: '/usr/sbin/runc' },
  { name: 'crun', path: '/usr/bin/crun' },
];
