import { DeleteOperation } from '../../lifecycle/delete.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

const del: CommandHandler = async (ctx) => {
  await buildContainer(ctx.globals).get(DeleteOperation).delete(ctx.args[0]!, { force: ctx.flags.force === true });
  return 0;
};
export { del as command };
