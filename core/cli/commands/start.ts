import { StartOperation } from '../../lifecycle/start.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

const start: CommandHandler = async (ctx) => {
  await buildContainer(ctx.globals).get(StartOperation).start(ctx.args[0]!);
  return 0;
};
export { start as command };
