import { defineConfig } from 'tsup';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

/**
 * One CLI entry, CommonJS: Node starts a .cjs entry ~8 ms faster than an ES module, and every
 * manager pays that on every call. Each command's dynamic import becomes its own chunk, so
 * `berth state` loads only what it uses (measured by bench/startup.mjs).
 */
export default defineConfig({
  entry: { berth: 'core/cli/berth.ts' },
  format: ['cjs'],
  outExtension: () => ({ js: '.cjs' }),
  platform: 'node',
  target: 'node20',
  splitting: true,
  minify: false,
  sourcemap: false,
  clean: true,
  bundle: true,
  noExternal: [/.*/],
  define: { BERTH_VERSION: JSON.stringify(version) },
  banner: { js: '#!/usr/bin/env node' },
});
