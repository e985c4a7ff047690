import type { PassedFds } from '../backend/backend.js';
import type { FlagValues, GlobalOptions } from './parse-argv.js';

/** What a command handler gets: its parsed arguments and where to write. No process.exit here. */
export interface CommandContext {
  globals: GlobalOptions;
  flags: FlagValues;
  args: string[];
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  version: string;
  /** The caller's fds that create, run and exec pass on, as the bin entry found them (caller-fds.ts). */
  passedFds?: PassedFds;
}

/** What every command module exports as `command`: resolves to the exit code. */
export type CommandHandler = (ctx: CommandContext) => Promise<number>;
