import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RuntimeError } from '../errors/runtime-error.js';

/** A JSON document named by a flag: a path against the caller's cwd, or "-" for stdin. */
export function readJsonArgument(flag: string, file: string, cwd: string): { document: unknown; where: string } {
  const where = file === '-' ? 'stdin' : resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : where, 'utf8');
  } catch (e) {
    throw RuntimeError.system(`--${flag} ${file}: cannot read`, e);
  }
  try {
    return { document: JSON.parse(text), where };
  } catch (e) {
    throw new RuntimeError('INVALID_ARGUMENT', `--${flag} ${file}: not valid JSON: ${(e as Error).message}`);
  }
}
