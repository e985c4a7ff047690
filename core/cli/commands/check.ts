import { formatDiagnostic } from '../../errors/runtime-error.js';
import { CreateOperation } from '../../lifecycle/create.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

/** `check`: every problem of a bundle, one line each with its JSON pointer; exit 1 if any. Writes nothing. */
const check: CommandHandler = async (ctx) => {
  const bundle = (ctx.flags.bundle as string | undefined) ?? ctx.cwd;
  const { loaded, choice, diagnostics } = await buildContainer(ctx.globals).get(CreateOperation).inspect(bundle);
  if (diagnostics.length > 0) {
    ctx.stdout(diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join(''));
    ctx.stderr(`${loaded.bundle}: ${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  ctx.stdout(`${loaded.bundle}: valid; backend ${choice!.name}${choice!.payload ? ` with payload ${choice!.payload}` : ''} (${choice!.reason})\n`);
  return 0;
};
export { check as command };
