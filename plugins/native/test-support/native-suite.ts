import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { runBerth, type BerthResult } from '../../../core/cli/test-support/run-berth.js';
import { busybox, busyboxBundle } from './busybox-bundle.js';

/** Why a root integration suite of the native backend cannot run here ('' when it can). */
export const nativeSkipReason =
  process.getuid?.() !== 0 ? 'needs root'
  : !busybox ? 'needs busybox-static'
  : !existsSync(join(import.meta.dirname, '..', '..', '..', 'dist', 'berth-helper')) ? 'needs the built helper (npm run build)'
  : '';

export interface Scratch {
  /** A fresh directory for this test. */
  readonly dir: string;
  /** berth's --root, inside dir. */
  readonly root: string;
  /** The built CLI with --root. */
  berth(...args: string[]): BerthResult;
  /** A busybox bundle in dir (see busyboxBundle). */
  bundle(args: string[], edit?: (config: Record<string, any>) => void): string;
}

/** A scratch directory and state root per test; every container still there is force-deleted after it. */
export function scratchPerTest(prefix: string): Scratch {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    const root = join(dir, 'root');
    for (const id of existsSync(root) ? readdirSync(root) : []) runBerth(['--root', root, 'delete', '--force', id]);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    get root() {
      return join(dir, 'root');
    },
    berth: (...args) => runBerth(['--root', join(dir, 'root'), ...args]),
    bundle: (args, edit) => busyboxBundle(dir, args, edit),
  };
}
