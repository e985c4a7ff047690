import { RunOperation } from '../../lifecycle/run.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';
import { createRequestFrom } from './create-request.js';

const run: CommandHandler = async (ctx) => {
  const detach = ctx.flags.detach === true;
  return buildContainer(ctx.globals).get(RunOperation).run({ ...createRequestFrom(ctx, !detach), detach, keep: ctx.flags.keep === true });
};
export { run as command };
