// The berth executable. The only place that sets the exit code.
import { main } from './main.js';

declare const BERTH_VERSION: string | undefined;
const version = typeof BERTH_VERSION === 'string' ? BERTH_VERSION : '0.0.0-dev';

main(process.argv.slice(2), version).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
