import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { RuntimeError } from '../errors/runtime-error.js';

/** --pid-file: written whole or not at all (a temporary file renamed), as managers poll for it. */
export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.berth-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, String(pid), { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw RuntimeError.system(`--pid-file ${path}: cannot write`, e);
  }
}
