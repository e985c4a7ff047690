import { RuntimeError } from '../../errors/runtime-error.js';
import { KillOperation } from '../../lifecycle/kill.js';
import { parseSignal } from '../../spec/signals.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

/** `kill <id> [signal]`: a name with or without SIG, or a number; SIGTERM by default. */
const kill: CommandHandler = async (ctx) => {
  const text = ctx.args[1] ?? 'SIGTERM';
  const signal = parseSignal(text);
  if (signal === undefined) {
    throw new RuntimeError('INVALID_ARGUMENT', `invalid signal ${JSON.stringify(text)}: give a name such as TERM or SIGKILL, or a number from 1 to 64`);
  }
  await buildContainer(ctx.globals).get(KillOperation).kill(ctx.args[0]!, signal, { all: ctx.flags.all === true });
  return 0;
};
export { kill as command };
