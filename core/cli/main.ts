import { RuntimeError, describeCause, formatDiagnostic } from '../errors/runtime-error.js';
import { exitCodeOf } from '../errors/exit-codes.js';
import { formatLogLine } from '../errors/log-line.js';
import { appendFileSync } from 'node:fs';
import type { CommandContext, CommandHandler } from './command-context.js';
import { parseArgv, parseGlobals, type GlobalOptions } from './parse-argv.js';

/** Each command is its own chunk: `berth state` never loads what `create` needs. */
const handlers: Record<string, () => Promise<{ default: CommandHandler }>> = {
  create: () => import('./commands/create.js'),
  start: () => import('./commands/start.js'),
  state: () => import('./commands/state.js'),
  kill: () => import('./commands/kill.js'),
  delete: () => import('./commands/delete.js'),
  run: () => import('./commands/run.js'),
  list: () => import('./commands/list.js'),
  spec: () => import('./commands/spec.js'),
  features: () => import('./commands/features.js'),
  check: () => import('./commands/check.js'),
};

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
};

/** Run one berth invocation; resolves to the exit code. The bin entry is the only exit site. */
export async function main(argv: readonly string[], version: string, io: Io = processIo): Promise<number> {
  let globals: GlobalOptions | undefined;
  try {
    globals = parseGlobals(argv);
    const parsed = parseArgv(argv);
    if (parsed.kind === 'version') {
      const { versionText } = await import('./help.js');
      const { implementedOciVersion } = await import('../spec/oci-version.js');
      io.stdout(versionText(version, implementedOciVersion));
      return 0;
    }
    if (parsed.kind === 'help') {
      const { helpText } = await import('./help.js');
      io.stdout(helpText(parsed.command));
      return 0;
    }
    const handler = (await handlers[parsed.command]!()).default;
    const ctx: CommandContext = { globals: parsed.globals, flags: parsed.flags, args: parsed.args, cwd: io.cwd, stdout: io.stdout, stderr: io.stderr, version };
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
  const error = e instanceof RuntimeError ? e : new RuntimeError('SYSTEM', `internal error: ${describeCause(e)}`, { cause: e });
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
  if (globals?.debug && !(e instanceof RuntimeError) && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
  return exitCodeOf(error.kind);
}
