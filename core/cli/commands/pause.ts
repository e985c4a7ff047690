import { PauseOperation } from '../../lifecycle/pause.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

const pause: CommandHandler = async (ctx) => {
  await buildContainer(ctx.globals).get(PauseOperation).pause(ctx.args[0]!);
  return 0;
};
export { pause as command };
