import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inputFileLimit, readInputFile, readInputStream } from './input-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ex-input-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readInputFile', () => {
  it('reads a regular file, through a symlink too', () => {
    writeFileSync(join(dir, 'config.json'), '{"a":1}');
    symlinkSync(join(dir, 'config.json'), join(dir, 'link.json'));
    expect(readInputFile(join(dir, 'config.json'), '--bundle b')).toBe('{"a":1}');
    expect(readInputFile(join(dir, 'link.json'), '--bundle b')).toBe('{"a":1}');
  });

  it('reads a file of exactly the limit and refuses one byte more, naming the path and the limit', () => {
    writeFileSync(join(dir, 'big.json'), Buffer.alloc(inputFileLimit, 0x20));
    expect(readInputFile(join(dir, 'big.json'), 'x')).toHaveLength(inputFileLimit);
    writeFileSync(join(dir, 'big.json'), Buffer.alloc(inputFileLimit + 1, 0x20));
    expect(() => readInputFile(join(dir, 'big.json'), '--bundle b')).toThrow(`--bundle b: ${join(dir, 'big.json')} has 4194305 bytes, more than the 4 MiB (4194304 bytes) berth reads from a file it is given`);
  });

  it('refuses a device, a fifo and a directory at once, without reading (a fifo with no writer would block)', () => {
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    const started = Date.now();
    expect(() => readInputFile(join(dir, 'zero.json'), '--bundle b')).toThrow(`--bundle b: ${join(dir, 'zero.json')} is a character device, not a regular file`);
    expect(() => readInputFile(join(dir, 'fifo.json'), '--bundle b')).toThrow('is a fifo, not a regular file');
    expect(() => readInputFile(dir, '--bundle b')).toThrow('is a directory, not a regular file');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('lets a missing file through as the errno error it is, for the caller to word', () => {
    expect(() => readInputFile(join(dir, 'none.json'), 'x')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('readInputStream', () => {
  it('reads a stream to its end, and stops an endless one at the limit', () => {
    writeFileSync(join(dir, 'small'), 'hello');
    const small = openSync(join(dir, 'small'), 'r');
    const zero = openSync('/dev/zero', 'r');
    try {
      expect(readInputStream(small, '--resources -')).toBe('hello');
      expect(() => readInputStream(zero, '--resources -')).toThrow('--resources -: more than the 4 MiB (4194304 bytes) berth reads from a file it is given');
    } finally {
      closeSync(small);
      closeSync(zero);
    }
  });
});
