import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Stand-in for the shared manager harness (issue 5): same name and shape; the harness's own
// version replaces this file at merge.

const repo = join(import.meta.dirname, '..', '..');

/** Managers run a runtime by path: berth's is a wrapper script named `berth`, as users install it (beside the build it runs). */
function berthWrapper(): string {
  const dir = join(repo, 'dist', 'e2e-bin');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'berth');
  writeFileSync(path, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(repo, 'dist', 'berth.cjs'))} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The runtimes every manager scenario runs against, berth first (only berth's failures fail the suite). */
export const runtimes: { name: 'berth' | 'runc' | 'crun'; path: string }[] = [
  { name: 'berth', path: berthWrapper() },
  { name: 'runc', path: '/usr/sbin/runc' },
  { name: 'crun', path: '/usr/bin/crun' },
];
