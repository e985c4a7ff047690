import { resolve } from 'node:path';
import type { CreateRequest } from '../../lifecycle/create.js';
import { listenFdsOf } from '../caller-fds.js';
import type { CommandContext } from '../command-context.js';

/** create's and run's shared flags, with paths made absolute against the caller's cwd (as runc does). */
export function createRequestFrom(ctx: CommandContext, foreground: boolean): CreateRequest {
  const pidFile = ctx.flags['pid-file'] as string | undefined;
  const consoleSocket = ctx.flags['console-socket'] as string | undefined;
  const preserveFds = (ctx.flags['preserve-fds'] as number | undefined) ?? 0;
  return {
    id: ctx.args[0]!,
    bundle: (ctx.flags.bundle as string | undefined) ?? ctx.cwd,
    pidFile: pidFile === undefined ? undefined : resolve(ctx.cwd, pidFile),
    options: {
      consoleSocket: consoleSocket === undefined ? undefined : resolve(ctx.cwd, consoleSocket),
      noPivot: ctx.flags['no-pivot'] === true,
      noNewKeyring: ctx.flags['no-new-keyring'] === true,
      preserveFds,
      passedFds: ctx.passedFds ?? { count: listenFdsOf(process.env) + preserveFds, listen: listenFdsOf(process.env), gaps: [] },
      foreground,
    },
  };
}
