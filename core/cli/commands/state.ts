import { formatState, queryState } from '../../lifecycle/state.js';
import { defaultRoot } from '../../lifecycle/runtime-options.js';
import { StateStore } from '../../state/state-store.js';
import type { CommandHandler } from '../command-context.js';

/** `state <id>`: kept free of DI and backends, because managers call it constantly. */
const state: CommandHandler = async (ctx) => {
  ctx.stdout(formatState(queryState(new StateStore(ctx.globals.root ?? defaultRoot), ctx.args[0]!)));
  return 0;
};
export { state as command };
