/**
 * The one error shape of berth. Every failure that reaches a user is a RuntimeError with a
 * stable `kind`; the kind alone decides the exit code and the JSON-RPC code (see exit-codes.ts).
 * Pure: no I/O here.
 */
import { getSystemErrorMap } from 'node:util';

export type ErrorKind =
  /** bad command line: unknown flag, missing argument (exit 2, like urfave/cli) */
  | 'USAGE'
  /** an argument is well-formed on the command line but wrong (bad id, bad signal, ...) */
  | 'INVALID_ARGUMENT'
  | 'CONTAINER_NOT_FOUND'
  | 'CONTAINER_EXISTS'
  /** the operation is not allowed in the container's current status */
  | 'INVALID_STATE'
  /** config.json is missing, unreadable or invalid; details carry one Diagnostic per problem */
  | 'INVALID_SPEC'
  /** the host cannot do what was asked (missing kernel feature, unsupported field) */
  | 'UNSUPPORTED'
  | 'HOOK_FAILED'
  /** another invocation holds the container's lock for too long */
  | 'LOCKED'
  | 'BACKEND'
  /** anything the OS refused: a syscall, a file, a process */
  | 'SYSTEM';

/** A problem found in config.json: `pointer` is an RFC 6901 JSON pointer ('' is the whole document). */
export interface Diagnostic {
  pointer: string;
  message: string;
}

/**
 * runc's error texts that managers match on (containerd, CRI-O, podman). Keep them verbatim:
 * changing one breaks a manager silently. Pinned in runtime-error.test.ts.
 */
export const RuncSentinel = {
  exists: 'container with given ID already exists',
  notExist: 'container does not exist',
  notRunning: 'container not running',
} as const;

export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  readonly kind: ErrorKind;
  readonly diagnostics: readonly Diagnostic[];

  constructor(kind: ErrorKind, message: string, options: { cause?: unknown; diagnostics?: readonly Diagnostic[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.diagnostics = options.diagnostics ?? [];
  }

  static usage(message: string): RuntimeError {
    return new RuntimeError('USAGE', message);
  }

  /** Command-line values that are wrong (a usage error, exit 2), one problem per flag, each named by its pointer ("--memory"). */
  static badFlags(diagnostics: readonly Diagnostic[]): RuntimeError {
    return new RuntimeError('USAGE', diagnostics.map(formatDiagnostic).join('; '), { diagnostics });
  }

  static notFound(id: string): RuntimeError {
    return new RuntimeError('CONTAINER_NOT_FOUND', `${id}: ${RuncSentinel.notExist}`);
  }

  static exists(id: string): RuntimeError {
    return new RuntimeError('CONTAINER_EXISTS', `${id}: ${RuncSentinel.exists}`);
  }

  static invalidSpec(diagnostics: readonly Diagnostic[], where = 'config.json'): RuntimeError {
    const count = diagnostics.length;
    const lines = diagnostics.map(formatDiagnostic);
    return new RuntimeError('INVALID_SPEC', `invalid ${where}: ${count} problem${count === 1 ? '' : 's'}: ${lines.join('; ')}`, {
      diagnostics,
    });
  }

  /** Wrap a foreign error (errno, spawn failure) with context, keeping it as `cause`. */
  static system(context: string, cause: unknown): RuntimeError {
    return new RuntimeError('SYSTEM', `${context}: ${describeCause(cause)}`, { cause });
  }
}

/** One line per problem, as `check` prints them: `/process/args: must have at least 1 item`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.pointer === '' ? '/' : d.pointer}: ${d.message}`;
}

/** A short text for a foreign error: Node's errno errors say `ENOENT: no such file or directory, open 'x'`. */
export function describeCause(cause: unknown): string {
  if (cause instanceof RuntimeError) return cause.message;
  if (cause instanceof Error) {
    const errno = cause as NodeJS.ErrnoException;
    if (errno.code && errno.syscall) {
      // fs errors read "ENOENT: no such file or directory, open '/x'"; spawn errors only
      // "spawn /x ENOENT", so those get the system's text for the code.
      if (errno.message.startsWith(`${errno.code}: `)) return errno.message.slice(errno.code.length + 2);
      return systemErrorText(errno.code) ?? errno.message;
    }
    return cause.message;
  }
  return String(cause);
}

function systemErrorText(code: string): string | undefined {
  for (const [name, text] of getSystemErrorMap().values()) if (name === code) return text;
  return undefined;
}

/**
 * Structural, not instanceof: the CLI entry and the lazily loaded command bundles each carry
 * their own copy of this class (tsup.config.ts), and an error crosses from one to the other.
 */
export function isRuntimeError(e: unknown, kind?: ErrorKind): e is RuntimeError {
  if (!(e instanceof Error) || e.name !== 'RuntimeError') return false;
  const found = (e as { kind?: unknown }).kind;
  return typeof found === 'string' && (kind === undefined || found === kind);
}
