import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

/** Modules main.ts imports on demand: built separately, loaded with require() at run time. */
const lazyModules = ['commands/create', 'commands/start', 'commands/kill', 'commands/delete', 'commands/run', 'commands/spec', 'commands/features', 'commands/check', 'commands/plan', 'commands/exec', 'commands/ps', 'commands/pause', 'commands/resume', 'commands/update', 'commands/events', 'commands/conformance', 'help'];

const common: Options = {
  format: ['cjs'],
  outExtension: () => ({ js: '.cjs' }),
  platform: 'node',
  target: 'node20',
  // tsup's CommonJS splitting mis-rewrites minified classes (docs/decisions/0001-cjs-bundle.md).
  minify: false,
  sourcemap: false,
  bundle: true,
  noExternal: [/.*/],
  define: { BERTH_VERSION: JSON.stringify(version) },
};

/**
 * Four builds (docs/decisions/0001-cjs-bundle.md):
 *  - dist/berth.cjs: the entry, ONE file with no chunks, holding what `state`, `list` and
 *    `--version` need: managers call these constantly and every extra file costs start-up time;
 *  - dist/commands/*.cjs and their shared chunks: everything else, required only when used;
 *  - dist/conformance.cjs: the OCI conformance suite (spec-tests/conformance), its own program
 *    (`node dist/conformance.cjs --runtime PATH`) that `berth conformance` loads at run time;
 *    it shares no code with berth, which it tests from the outside;
 *  - dist/fuzz.cjs: the fuzz campaign (spec-tests/fuzz, `npm run fuzz`), the same way.
 */
export default defineConfig([
  {
    ...common,
    entry: { berth: 'core/cli/berth.ts' },
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
    // import() of a lazy module becomes require(): Node's ES module loader would cost ~8 ms more.
    esbuildOptions(options) {
      options.supported = { ...options.supported, 'dynamic-import': false };
    },
    esbuildPlugins: [
      {
        name: 'berth-lazy-modules',
        setup(build) {
          build.onResolve({ filter: /^\.\/(commands\/[a-z-]+|help)\.js$/ }, (args) => {
            const name = args.path.slice(2, -3);
            if (!lazyModules.includes(name)) return undefined;
            return { path: `./${name}.cjs`, external: true };
          });
        },
      },
    ],
  },
  {
    ...common,
    entry: Object.fromEntries(lazyModules.map((m) => [m, `core/cli/${m}.ts`])),
    splitting: true,
  },
  {
    ...common,
    entry: { conformance: 'spec-tests/conformance/main.ts' },
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
  },
  // dist/fuzz.cjs: the fuzz campaign (spec-tests/fuzz), like the conformance suite a program of its own.
  {
    ...common,
    entry: { fuzz: 'spec-tests/fuzz/main.ts' },
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
