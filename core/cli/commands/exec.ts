import { resolve } from 'node:path';
import { RuntimeError } from '../../errors/runtime-error.js';
import { ExecOperation } from '../../lifecycle/exec.js';
import { execProcessFromFlags } from '../../lifecycle/exec-process.js';
import type { Process, Spec } from '../../spec/config.js';
import { StateStore } from '../../state/state-store.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';
import { readJsonArgument } from '../json-argument.js';

/** Flags that shape the process; with -p, as with runc, they are ignored (and berth says so). */
const processFlags = ['cwd', 'env', 'tty', 'user', 'additional-gids', 'cap', 'no-new-privs', 'apparmor', 'process-label'];

/** `exec <id> [command...]` or `exec -p process.json <id>`. */
const exec: CommandHandler = async (ctx) => {
  const [id, ...args] = ctx.args;
  const container = buildContainer(ctx.globals);
  const file = ctx.flags.process as string | undefined;
  let process: Process;
  let where: string;
  // A field of the file is named by its pointer there; under the flags, by its flag or config.json's pointer.
  let fields = { fromConfig: false, flags: {} as Record<string, string> };
  const path = (flag: string) => (typeof ctx.flags[flag] === 'string' ? resolve(ctx.cwd, ctx.flags[flag] as string) : undefined);
  if (file !== undefined) {
    const given = readJsonArgument('process', file, ctx.cwd);
    process = given.document as Process;
    where = given.where;
    // podman passes --tty along with a file that asks for a terminal: nothing is ignored then.
    const ignored = processFlags.filter((f) => ctx.flags[f] !== undefined && !(f === 'tty' && ctx.flags.tty === (process.terminal === true)));
    if (ignored.length > 0) ctx.stderr(`warning: with --process, ${ignored.map((f) => `--${f}`).join(', ')} ${ignored.length === 1 ? 'is' : 'are'} ignored (as in runc)\n`);
    if (args.length > 0) throw RuntimeError.usage('exec --process takes the command from the file: give no command after the container id');
  } else {
    where = 'exec flags';
    const store = container.get(StateStore);
    store.read(id!); // an unknown id is refused with runc's message before anything else
    const spec = store.readFrozenConfig(id!) as Spec;
    const list = (flag: string) => (ctx.flags[flag] as string[] | undefined) ?? [];
    const built = execProcessFromFlags(spec.process!, {
      args,
      cwd: ctx.flags.cwd as string | undefined,
      env: list('env'),
      tty: ctx.flags.tty === true,
      user: ctx.flags.user as string | undefined,
      additionalGids: list('additional-gids'),
      caps: list('cap'),
      noNewPrivs: ctx.flags['no-new-privs'] as boolean | undefined,
      apparmor: ctx.flags.apparmor as string | undefined,
      processLabel: ctx.flags['process-label'] as string | undefined,
    });
    if (built.diagnostics.length > 0) throw RuntimeError.badFlags(built.diagnostics);
    process = built.process;
    fields = { fromConfig: true, flags: built.fields };
  }
  const preserveFds = (ctx.flags['preserve-fds'] as number | undefined) ?? 0;
  return container.get(ExecOperation).exec(id!, {
    process,
    where,
    detach: ctx.flags.detach === true,
    consoleSocket: path('console-socket'),
    pidFile: path('pid-file'),
    preserveFds,
    passedFds: ctx.passedFds ?? { count: preserveFds, listen: 0, gaps: [] },
    cgroups: (ctx.flags.cgroup as string[] | undefined) ?? [],
    ignorePaused: ctx.flags['ignore-paused'] === true,
    fields,
  });
};
export { exec as command };
