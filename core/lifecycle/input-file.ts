import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { RuntimeError } from '../errors/runtime-error.js';

/**
 * The most berth reads from a file it is given: config.json, `exec --process FILE` and
 * `update --resources FILE` (or stdin). The kernel caps a process's arguments and environment at
 * a few MiB together, and a seccomp profile is tens of KiB, so no real config comes close; the
 * cap keeps `/dev/zero` or a runaway file from filling berth's memory (docs/cli.md).
 */
export const inputFileLimit = 4 * 1024 * 1024;

/**
 * A file berth takes as input: it must be a regular file (a device, fifo or directory is refused
 * before it is opened for reading, so nothing blocks or streams forever) of at most
 * `inputFileLimit` bytes. `label` starts each error ("--bundle /b", "--process p.json").
 */
export function readInputFile(path: string, label: string): string {
  const problem = notRegular(statSync(path), path);
  if (problem) throw new RuntimeError('INVALID_ARGUMENT', `${label}: ${problem}`);
  // O_NONBLOCK: should the path have become a fifo since the stat, opening it must not wait for a writer.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const again = notRegular(fstatSync(fd), path);
    if (again) throw new RuntimeError('INVALID_ARGUMENT', `${label}: ${again}`);
    return readCapped(fd, `${label}: ${path}`);
  } finally {
    closeSync(fd);
  }
}

/** What a caller pipes in ("-": stdin): any readable fd, still capped. */
export function readInputStream(fd: number, label: string): string {
  return readCapped(fd, label);
}

function notRegular(stats: Stats, path: string): string | undefined {
  if (stats.isFile()) {
    return stats.size > inputFileLimit ? `${path} has ${stats.size} bytes, more than the ${limitText} berth reads from a file it is given` : undefined;
  }
  const kind = stats.isDirectory() ? 'a directory' : stats.isCharacterDevice() ? 'a character device' : stats.isBlockDevice() ? 'a block device' : stats.isFIFO() ? 'a fifo' : stats.isSocket() ? 'a socket' : 'not a file';
  return `${path} is ${kind}, not a regular file`;
}

const limitText = `${inputFileLimit / (1024 * 1024)} MiB (${inputFileLimit} bytes)`;

function readCapped(fd: number, what: string): string {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(Math.min(65536, inputFileLimit + 1 - total));
    let n: number;
    try {
      n = readSync(fd, chunk);
    } catch (e) {
      // A non-blocking stdin (a tty, some pipes) has nothing yet: wait a little for it.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      continue;
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > inputFileLimit) throw new RuntimeError('INVALID_ARGUMENT', `${what}: more than the ${limitText} berth reads from a file it is given`);
  }
  return Buffer.concat(chunks).toString('utf8');
}
