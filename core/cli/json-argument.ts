import { resolve } from 'node:path';
import { RuntimeError } from '../errors/runtime-error.js';
import { readInputFile, readInputStream } from '../lifecycle/input-file.js';
import { parseExactJson } from '../spec/exact-json.js';

/**
 * A JSON document named by a flag: a path against the caller's cwd (a regular file), or "-" for
 * stdin (a pipe too); at most `inputFileLimit` bytes either way. Integers are read exactly
 * (exact-json.ts); a repeated key, too deep a nesting or a number without an exact value is
 * refused with its pointer into the document.
 */
export function readJsonArgument(flag: string, file: string, cwd: string): { document: unknown; where: string } {
  const where = file === '-' ? 'stdin' : resolve(cwd, file);
  let text: string;
  try {
    text = file === '-' ? readInputStream(0, `--${flag} -`) : readInputFile(where, `--${flag} ${file}`);
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw RuntimeError.system(`--${flag} ${file}: cannot read`, e);
  }
  const { value, diagnostics } = parseExactJson(text);
  if (value !== undefined) return { document: value, where };
  const syntax = diagnostics.find((d) => d.pointer === '' && d.message.startsWith('is not valid JSON: '));
  if (syntax) throw new RuntimeError('INVALID_ARGUMENT', `--${flag} ${file}: not valid JSON: ${syntax.message.slice('is not valid JSON: '.length)}`);
  throw RuntimeError.invalidSpec(diagnostics, where);
}
