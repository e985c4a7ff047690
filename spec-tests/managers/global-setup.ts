/** One run id for every suite file of this `vitest` invocation (see results.ts). */
export default function setup(): void {
  process.env.BERTH_MANAGERS_E2E_RUN = new Date().toISOString();
}
