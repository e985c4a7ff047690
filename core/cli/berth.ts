// The berth executable. The only place that sets the exit code.
import { takeCallerFds } from './caller-fds.js';
import { main, processIo } from './main.js';
import { parseArgv } from './parse-argv.js';

declare const BERTH_VERSION: string | undefined;
const version = typeof BERTH_VERSION === 'string' ? BERTH_VERSION : '0.0.0-dev';

main(process.argv.slice(2), version, processIo, takeCallerFdsFor(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);

/**
 * First of all, before anything opens an fd: keep the caller's fds that the command passes on
 * and close the rest (caller-fds.ts). A command line that does not parse runs nothing; main
 * reports it. A refusal (an impossible --preserve-fds) is main's to report too.
 */
function takeCallerFdsFor(argv: readonly string[]): ReturnType<typeof takeCallerFds> | Error | undefined {
  let verb: string | undefined;
  let preserveFds = 0;
  try {
    const parsed = parseArgv(argv);
    if (parsed.kind === 'command') {
      verb = parsed.command;
      preserveFds = (parsed.flags['preserve-fds'] as number | undefined) ?? 0;
    }
  } catch {
    // main parses again and reports the mistake.
  }
  // state and list read state files and start nothing: no fd can leak (the hot path, left alone).
  if (verb === 'state' || verb === 'list') return undefined;
  try {
    return takeCallerFds(verb, preserveFds);
  } catch (e) {
    return e as Error;
  }
}
