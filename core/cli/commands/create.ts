import { CreateOperation } from '../../lifecycle/create.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';
import { createRequestFrom } from './create-request.js';

const create: CommandHandler = async (ctx) => {
  await buildContainer(ctx.globals).get(CreateOperation).create(createRequestFrom(ctx, false));
  return 0;
};
export { create as command };
