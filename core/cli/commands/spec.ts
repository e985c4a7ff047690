import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RuntimeError } from '../../errors/runtime-error.js';
import { defaultSpec } from '../../spec/default-spec.js';
import type { CommandHandler } from '../command-context.js';

/** `spec`: write a default config.json into the bundle; like runc, never overwrite one. */
const spec: CommandHandler = async (ctx) => {
  const bundle = resolve(ctx.cwd, (ctx.flags.bundle as string | undefined) ?? '.');
  const path = join(bundle, 'config.json');
  if (existsSync(path)) throw new RuntimeError('INVALID_ARGUMENT', `${path} already exists: remove it first`);
  const config = defaultSpec({ rootless: ctx.flags.rootless === true, uid: process.getuid?.(), gid: process.getgid?.() });
  try {
    writeFileSync(path, `${JSON.stringify(config, null, '\t')}\n`, { flag: 'wx', mode: 0o666 });
  } catch (e) {
    throw RuntimeError.system(`cannot write ${path}`, e);
  }
  return 0;
};
export { spec as command };
