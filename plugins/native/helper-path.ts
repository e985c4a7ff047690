import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../core/plugin-api.js';

/** dist/berth-helper, next to the bundle (BERTH_HELPER overrides, for tests of the sources). */
export function helperPath(): string {
  const path = process.env.BERTH_HELPER ?? (typeof __dirname === 'string' ? join(__dirname, 'berth-helper') : '');
  if (!path || !existsSync(path)) throw new RuntimeError('UNSUPPORTED', `the native helper ${path || 'berth-helper'} is not built: run \`npm run build\``);
  return path;
}
