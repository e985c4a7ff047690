import { PlanOperation } from '../../lifecycle/plan.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

/** `plan [--bundle DIR]`: the selected backend's plan as JSON. 64-bit integers print as strings. */
const plan: CommandHandler = async (ctx) => {
  const bundle = (ctx.flags.bundle as string | undefined) ?? ctx.cwd;
  const result = await buildContainer(ctx.globals).get(PlanOperation).plan(bundle);
  ctx.stdout(`${JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  return 0;
};
export { plan as command };
