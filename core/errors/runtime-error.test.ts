import { describe, expect, it } from 'vitest';
import { describeCause, formatDiagnostic, isRuntimeError, RuncSentinel, RuntimeError } from './runtime-error.js';

describe('runc sentinel texts', () => {
  it('are runc’s, verbatim: containerd, CRI-O and podman match on them', () => {
    expect(RuncSentinel.exists).toBe('container with given ID already exists');
    expect(RuncSentinel.notExist).toBe('container does not exist');
    expect(RuncSentinel.notRunning).toBe('container not running');
  });

  it('appear in the messages of the errors managers match on, with the id', () => {
    const notFound = RuntimeError.notFound('web-1');
    expect(notFound.kind).toBe('CONTAINER_NOT_FOUND');
    expect(notFound.message).toContain('container does not exist');
    expect(notFound.message).toContain('web-1');
    expect(notFound.message).toBe('web-1: container does not exist');

    const exists = RuntimeError.exists('web-1');
    expect(exists.kind).toBe('CONTAINER_EXISTS');
    expect(exists.message).toContain('container with given ID already exists');
    expect(exists.message).toBe('web-1: container with given ID already exists');
  });
});

describe('RuntimeError', () => {
  it('is an Error with a stable kind and no diagnostics by default', () => {
    const e = RuntimeError.usage('unknown flag --bogus');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('RuntimeError');
    expect(e.kind).toBe('USAGE');
    expect(e.message).toBe('unknown flag --bogus');
    expect(e.diagnostics).toEqual([]);
    expect(e.cause).toBeUndefined();
    expect('cause' in e).toBe(false);
  });

  it('keeps a cause when given one', () => {
    const cause = new Error('boom');
    expect(new RuntimeError('BACKEND', 'backend failed', { cause }).cause).toBe(cause);
  });

  it('carries every config problem and lists them in its message', () => {
    const diagnostics = [
      { pointer: '/process/cwd', message: 'must be an absolute path, got "tmp"' },
      { pointer: '', message: 'is not valid JSON: Unexpected end of JSON input' },
    ];
    const e = RuntimeError.invalidSpec(diagnostics);
    expect(e.kind).toBe('INVALID_SPEC');
    expect(e.diagnostics).toEqual(diagnostics);
    expect(e.message).toBe('invalid config.json: 2 problems: /process/cwd: must be an absolute path, got "tmp"; /: is not valid JSON: Unexpected end of JSON input');
    expect(RuntimeError.invalidSpec([diagnostics[0]!], 'bundle/config.json').message).toBe('invalid bundle/config.json: 1 problem: /process/cwd: must be an absolute path, got "tmp"');
  });

  it('wraps a foreign error as SYSTEM, with context and the cause kept', () => {
    const cause = Object.assign(new Error("ENOENT: no such file or directory, open '/b/config.json'"), { code: 'ENOENT', syscall: 'open', errno: -2 });
    const e = RuntimeError.system('read config', cause);
    expect(e.kind).toBe('SYSTEM');
    expect(e.cause).toBe(cause);
    expect(e.message).toBe("read config: no such file or directory, open '/b/config.json'");
  });
});

describe('formatDiagnostic', () => {
  it('prints pointer and message, the whole document as "/"', () => {
    expect(formatDiagnostic({ pointer: '/process/args', message: 'must have at least 1 item' })).toBe('/process/args: must have at least 1 item');
    expect(formatDiagnostic({ pointer: '', message: 'must be an object, got null' })).toBe('/: must be an object, got null');
  });
});

describe('describeCause', () => {
  it('strips the errno code prefix only from errno errors', () => {
    const errno = Object.assign(new Error('EACCES: permission denied, mkdir \'/run/berth\''), { code: 'EACCES', syscall: 'mkdir' });
    expect(describeCause(errno)).toBe("permission denied, mkdir '/run/berth'");
    expect(describeCause(new Error('EACCES: not an errno error'))).toBe('EACCES: not an errno error');
  });

  it('describes runtime errors, errors and anything else', () => {
    expect(describeCause(RuntimeError.notFound('x'))).toBe('x: container does not exist');
    expect(describeCause(new TypeError('bad'))).toBe('bad');
    expect(describeCause('text')).toBe('text');
    expect(describeCause(42)).toBe('42');
    expect(describeCause(undefined)).toBe('undefined');
  });
});

describe('isRuntimeError', () => {
  it('narrows by class and, if asked, by kind', () => {
    const e = RuntimeError.exists('x');
    expect(isRuntimeError(e)).toBe(true);
    expect(isRuntimeError(e, 'CONTAINER_EXISTS')).toBe(true);
    expect(isRuntimeError(e, 'CONTAINER_NOT_FOUND')).toBe(false);
    expect(isRuntimeError(new Error('x'))).toBe(false);
    expect(isRuntimeError({ kind: 'CONTAINER_EXISTS', message: 'x' })).toBe(false);
    expect(isRuntimeError(null)).toBe(false);
  });
});
