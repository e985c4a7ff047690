import { spawnSync } from 'node:child_process';
import { RuntimeError } from '../../errors/runtime-error.js';
import { filterPsOutput, PsOperation } from '../../lifecycle/ps.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

/** `ps <id> [ps options]`: json is the list of host pids; table is ps(1)'s output for them (default -ef), as runc. */
const ps: CommandHandler = async (ctx) => {
  const [id, ...psArgs] = ctx.args;
  const pids = await buildContainer(ctx.globals).get(PsOperation).processes(id!);
  if (ctx.flags.format === 'json') {
    ctx.stdout(`${JSON.stringify(pids)}\n`);
    return 0;
  }
  const result = spawnSync('ps', psArgs.length > 0 ? psArgs : ['-ef'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new RuntimeError('SYSTEM', `ps ${psArgs.join(' ') || '-ef'} failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
  ctx.stdout(filterPsOutput(result.stdout, pids));
  return 0;
};
export { ps as command };
