import { PauseOperation } from '../../lifecycle/pause.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

const resume: CommandHandler = async (ctx) => {
  await buildContainer(ctx.globals).get(PauseOperation).resume(ctx.args[0]!);
  return 0;
};
export { resume as command };
