import { builtinDescriptors } from '../../../plugins/builtin.js';
import { mergeFeatures } from '../../spec/features.js';
import type { CommandHandler } from '../command-context.js';

const features: CommandHandler = async (ctx) => {
  ctx.stdout(`${JSON.stringify(mergeFeatures(builtinDescriptors, ctx.version), null, 4)}\n`);
  return 0;
};
export { features as command };
