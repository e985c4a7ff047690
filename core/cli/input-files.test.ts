import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBerth } from './test-support/run-berth.js';

/**
 * What berth reads from the files it is given (config.json, exec --process, update --resources),
 * through the built CLI: only regular files, at most 4 MiB, integers exact, and clear refusals
 * of what JSON.parse would have taken or choked on.
 */
let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ex-cli-'));
  root = join(dir, 'root');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const berth = (args: string[], input?: string) => runBerth(['--root', root, ...args], input === undefined ? {} : { input });

function bundle(): string {
  const path = join(dir, 'bundle');
  mkdirSync(join(path, 'rootfs'), { recursive: true });
  expect(runBerth(['spec'], { cwd: path }).code).toBe(0);
  return path;
}

/** The default config's text with the rlimits replaced by `rlimits` (JSON text, so any digits can be written). */
function withRlimits(path: string, rlimits: string): void {
  const text = readFileSync(join(path, 'config.json'), 'utf8').replace(/"rlimits": \[[^\]]*\]/, `"rlimits": ${rlimits}`);
  writeFileSync(join(path, 'config.json'), text);
}

const nothingLeft = () => expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);

describe('config.json as berth reads it', () => {
  it('a config.json that is /dev/zero is refused at once, naming it; nothing is made', () => {
    const path = bundle();
    rmSync(join(path, 'config.json'));
    symlinkSync('/dev/zero', join(path, 'config.json'));
    const started = Date.now();
    const r = berth(['create', '-b', path, 'ex-zero']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`--bundle ${path}: ${path}/config.json is a character device, not a regular file`);
    nothingLeft();
  });

  it('a config.json over 4 MiB is refused naming the path and the limit; one just under is read', () => {
    const path = bundle();
    const text = readFileSync(join(path, 'config.json'), 'utf8');
    writeFileSync(join(path, 'config.json'), text + ' '.repeat(4 * 1024 * 1024 - Buffer.byteLength(text)));
    expect(berth(['check', '-b', path])).toMatchObject({ code: 0 });
    writeFileSync(join(path, 'config.json'), `${text}${' '.repeat(4 * 1024 * 1024)}`);
    const r = berth(['create', '-b', path, 'ex-big']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`--bundle ${path}: ${path}/config.json has ${Buffer.byteLength(text) + 4 * 1024 * 1024} bytes, more than the 4 MiB (4194304 bytes) berth reads from a file it is given`);
    nothingLeft();
  });

  it('a config nested 100000 levels deep gets a diagnostic with its pointer, not a stack overflow', () => {
    const path = bundle();
    const text = readFileSync(join(path, 'config.json'), 'utf8').replace(/^\{/, `{"x-deep": ${'['.repeat(100_000)}${']'.repeat(100_000)},`);
    writeFileSync(join(path, 'config.json'), text);
    const r = berth(['check', '-b', path]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain('internal error');
    expect(r.stdout).toBe(`/x-deep${'/0'.repeat(255)}: nests deeper than 256 levels, the most berth reads\n`);
  });

  it('a repeated key is refused at its pointer', () => {
    const path = bundle();
    const text = readFileSync(join(path, 'config.json'), 'utf8').replace('"cwd": "/"', '"cwd": "/", "cwd": "/tmp"');
    writeFileSync(join(path, 'config.json'), text);
    const r = berth(['check', '-b', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\/process\/cwd: is given twice in one object \(first at position \d+\): a repeated key is ambiguous, so berth refuses it\n$/);
  });

  it('uint64 max is a valid rlimit; one more is out of range at its pointer, digits exact', () => {
    const path = bundle();
    withRlimits(path, '[{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 18446744073709551615}]');
    expect(berth(['check', '-b', path]).code).toBe(0);
    withRlimits(path, '[{"type": "RLIMIT_CORE", "hard": 18446744073709551616, "soft": 1.8446744073709551615e19}]');
    const r = berth(['check', '-b', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('/process/rlimits/0/hard: must be <= 18446744073709551615 (uint64), got 18446744073709551616\n');
  });
});

describe('exec --process and update --resources files', () => {
  it('refuse a device, and stdin beyond 4 MiB, before looking at the container', () => {
    for (const argv of [['exec', '-p', '/dev/zero', 'ex-ghost'], ['update', '-r', '/dev/zero', 'ex-ghost']]) {
      const r = berth(argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stderr).toContain(`--${argv[0] === 'exec' ? 'process' : 'resources'} /dev/zero: /dev/zero is a character device, not a regular file`);
    }
    const r = berth(['update', '-r', '-', 'ex-ghost'], `{"pids": {"limit": 1}}${' '.repeat(4 * 1024 * 1024)}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--resources -: more than the 4 MiB (4194304 bytes) berth reads from a file it is given');
  });

  it('refuse a repeated key or an out-of-range integer with its pointer into the file', () => {
    const file = join(dir, 'resources.json');
    writeFileSync(file, '{"memory": {"limit": 1, "limit": 2}}');
    let r = berth(['update', '-r', file, 'ex-ghost']);
    expect(r.stderr).toContain(`invalid ${file}:`);
    expect(r.stderr).toContain('/memory/limit: is given twice in one object');
    writeFileSync(file, '{"memory": {"limit": 9223372036854775808}}');
    r = berth(['update', '-r', file, 'ex-ghost']);
    expect(r.stderr).toContain(`invalid ${file}:`);
    expect(r.stderr).toContain('/memory/limit: must be <= 9223372036854775807 (int64), got 9223372036854775808');
  });
});
