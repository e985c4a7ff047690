import { RuntimeError, describeCause, formatDiagnostic, isRuntimeError } from '../errors/runtime-error.js';
import { exitCodeOf } from '../errors/exit-codes.js';
import { formatLogLine } from '../errors/log-line.js';
import { appendFileSync, writeSync } from 'node:fs';
import { implementedOciVersion } from '../spec/oci-version.js';
import type { PassedFds } from '../backend/backend.js';
import type { CommandContext, CommandHandler } from './command-context.js';
import { command as list } from './commands/list.js';
import { command as state } from './commands/state.js';
import { parseArgv, parseGlobals, type GlobalOptions } from './parse-argv.js';

/**
 * Each command that changes containers is its own chunk, loaded on demand. `state` and `list`
 * are bundled into the entry itself: managers call them constantly, and every extra file costs
 * start-up time (bench/startup.mjs).
 */
const handlers: Record<string, () => Promise<{ command: CommandHandler }>> = {
  create: () => import('./commands/create.js'),
  start: () => import('./commands/start.js'),
  state: async () => ({ command: state }),
  kill: () => import('./commands/kill.js'),
  delete: () => import('./commands/delete.js'),
  run: () => import('./commands/run.js'),
  list: async () => ({ command: list }),
  spec: () => import('./commands/spec.js'),
  features: () => import('./commands/features.js'),
  check: () => import('./commands/check.js'),
  plan: () => import('./commands/plan.js'),
  exec: () => import('./commands/exec.js'),
  ps: () => import('./commands/ps.js'),
  pause: () => import('./commands/pause.js'),
  resume: () => import('./commands/resume.js'),
  update: () => import('./commands/update.js'),
  events: () => import('./commands/events.js'),
  conformance: () => import('./commands/conformance.js'),
};

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

/**
 * Writes go straight to fds 1 and 2: touching process.stdout on a pipe (how managers call
 * berth) builds a net.Socket and loads node:net, ~5 ms for a few hundred bytes.
 */
export const processIo: Io = {
  stdout: (text) => writeAll(1, text),
  stderr: (text) => writeAll(2, text),
  cwd: process.cwd(),
};

function writeAll(fd: number, text: string): void {
  let buffer = Buffer.from(text);
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw e;
      // A full non-blocking pipe: wait a moment for the reader.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/**
 * Run one berth invocation; resolves to the exit code. The bin entry is the only exit site.
 * `passedFds`: what the bin entry found of the caller's fds (caller-fds.ts), or why it refused;
 * without it (berth used as a library) the fds --preserve-fds names are taken as they are.
 */
export async function main(argv: readonly string[], version: string, io: Io = processIo, passedFds?: PassedFds | Error): Promise<number> {
  let globals: GlobalOptions | undefined;
  try {
    globals = parseGlobals(argv);
    const parsed = parseArgv(argv);
    if (passedFds instanceof Error) throw passedFds;
    if (parsed.kind === 'version') {
      io.stdout(`berth version ${version}\nspec: ${implementedOciVersion}\nnode: ${process.version}\n`);
      return 0;
    }
    if (parsed.kind === 'help') {
      const { helpText } = await import('./help.js');
      io.stdout(helpText(parsed.command));
      return 0;
    }
    const handler = (await handlers[parsed.command]!()).command;
    const ctx: CommandContext = { globals: parsed.globals, flags: parsed.flags, args: parsed.args, cwd: io.cwd, stdout: io.stdout, stderr: io.stderr, version, passedFds };
    return await handler(ctx);
  } catch (e) {
    return reportFailure(e, globals, io);
  }
}

/**
 * runc's failure report: the error as a log line in --log (JSON with --log-format json, which is
 * where containerd and podman read it from), and the message on stderr. A config with several
 * problems gets one line per problem.
 */
export function reportFailure(e: unknown, globals: GlobalOptions | undefined, io: Io, now = new Date()): number {
  const error = isRuntimeError(e) ? e : new RuntimeError('SYSTEM', `internal error: ${describeCause(e)}`, { cause: e });
  if (globals?.log) {
    try {
      appendFileSync(globals.log, formatLogLine(globals.logFormat, 'error', error.message, now));
    } catch (logError) {
      io.stderr(`cannot write to --log ${globals.log}: ${describeCause(logError)}\n`);
    }
  }
  if (error.kind === 'INVALID_SPEC' && error.diagnostics.length > 0) {
    const [head] = error.message.split(': ');
    io.stderr(`${head}:\n${error.diagnostics.map((d) => `  ${formatDiagnostic(d)}\n`).join('')}`);
  } else {
    io.stderr(`${error.message}\n`);
  }
  if (globals?.debug && !isRuntimeError(e) && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
  return exitCodeOf(error.kind);
}
