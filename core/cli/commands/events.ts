import { RuntimeError } from '../../errors/runtime-error.js';
import { EventsOperation, parseDuration } from '../../lifecycle/events.js';
import { stringifyExactJson } from '../../spec/exact-json.js';
import type { CommandHandler } from '../command-context.js';
import { buildContainer } from '../composition-root.js';

/** `events <id>`: runc's JSON lines, one stats record with --stats, else a stream (a backend's 64-bit figure with every digit). */
const events: CommandHandler = async (ctx) => {
  const interval = (ctx.flags.interval as string | undefined) ?? '5s';
  const intervalMs = parseDuration(interval);
  if (intervalMs === undefined || intervalMs <= 0) throw RuntimeError.usage(`--interval must be a positive duration such as 5s or 500ms, got ${JSON.stringify(interval)}`);
  await buildContainer(ctx.globals)
    .get(EventsOperation)
    .stream(ctx.args[0]!, { once: ctx.flags.stats === true, intervalMs }, (event) => ctx.stdout(`${stringifyExactJson(event)}\n`));
  return 0;
};
export { events as command };
