import { formatTable, listContainers } from '../../lifecycle/list.js';
import { defaultRoot } from '../../lifecycle/runtime-options.js';
import { StateStore } from '../../state/state-store.js';
import type { CommandHandler } from '../command-context.js';

const list: CommandHandler = async (ctx) => {
  const states = listContainers(new StateStore(ctx.globals.root ?? defaultRoot));
  if (ctx.flags.quiet === true) ctx.stdout(states.map((s) => `${s.id}\n`).join(''));
  else if (ctx.flags.format === 'json') ctx.stdout(`${JSON.stringify(states)}\n`);
  else ctx.stdout(formatTable(states));
  return 0;
};
export { list as command };
