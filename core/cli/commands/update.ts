import { RuntimeError } from '../../errors/runtime-error.js';
import { UpdateOperation } from '../../lifecycle/update.js';
import type { LinuxResources } from '../../spec/resources.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';
import { readJsonArgument } from '../json-argument.js';
import { resourcesFromUpdateFlags } from '../update-flags.js';

/** `update <id>`: -r FILE|- (LinuxResources JSON) and runc's per-field flags, which win. */
const update: CommandHandler = async (ctx) => {
  const file = ctx.flags.resources as string | undefined;
  const given = file === undefined ? undefined : readJsonArgument('resources', file, ctx.cwd);
  const base = (given?.document ?? {}) as LinuxResources;
  const where = given?.where ?? 'update flags';
  const { resources, diagnostics } = resourcesFromUpdateFlags(base, ctx.flags);
  if (diagnostics.length > 0) throw RuntimeError.badFlags(diagnostics);
  await buildContainer(ctx.globals).get(UpdateOperation).update(ctx.args[0]!, resources, where);
  return 0;
};
export { update as command };
