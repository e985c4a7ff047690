import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { RuntimeError, type Diagnostic } from '../errors/runtime-error.js';
import type { Spec } from '../spec/config.js';
import { readInputFile } from './input-file.js';

export interface LoadedBundle {
  /** Absolute bundle directory. */
  bundle: string;
  /** config.json exactly as read: frozen into the state dir at create. */
  configText: string;
  /** Present when the document parsed. */
  spec?: Spec;
  /** Absolute rootfs path (root.path resolved against the bundle). */
  rootfs?: string;
  diagnostics: Diagnostic[];
}

/**
 * Read and validate a bundle: config.json (schema + semantic rules) and the root filesystem it
 * names. Every problem is collected; nothing is written. A missing or unreadable config.json, or
 * one that is not a regular file or is larger than `inputFileLimit`, is an argument error naming
 * the path, since there is no document to point into. Integers are read exactly (exact-json.ts).
 */
export async function loadBundle(bundleArg: string, cwd = process.cwd()): Promise<LoadedBundle> {
  // The generated schema validators are ~260 KB of code: loaded only by the verbs that validate.
  const { parseConfigText, validateConfig } = await import('../spec/validate-config.js');
  const bundle = resolve(cwd, bundleArg);
  const configPath = join(bundle, 'config.json');
  let configText: string;
  try {
    configText = readInputFile(configPath, `--bundle ${bundle}`);
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file: the bundle directory must contain config.json' : (e as Error).message;
    throw new RuntimeError('INVALID_ARGUMENT', `--bundle ${bundle}: cannot read ${configPath}: ${why}`, { cause: e });
  }
  const parsed = parseConfigText(configText);
  if (parsed.document === undefined) return { bundle, configText, diagnostics: parsed.diagnostics };
  const diagnostics = validateConfig(parsed.document);
  const spec = parsed.document as Spec;
  let rootfs: string | undefined;
  const rootPath = spec?.root?.path;
  if (typeof rootPath === 'string' && rootPath !== '') {
    rootfs = isAbsolute(rootPath) ? rootPath : join(bundle, rootPath);
    const problem = directoryProblem(rootfs);
    if (problem) diagnostics.push({ pointer: '/root/path', message: `${rootfs} ${problem}` });
  }
  return { bundle, configText, spec, rootfs, diagnostics };
}

function directoryProblem(path: string): string | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : 'is not a directory';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(e as Error).message}`;
  }
}
