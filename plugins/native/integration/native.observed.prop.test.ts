import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxCapabilities } from '../../../core/plugin-api.js';
import { defaultSpec } from '../../../core/spec/default-spec.js';
import { runBerth } from '../../../core/cli/test-support/run-berth.js';

/**
 * Property tests against real containers: random capability sets, rlimits and environments go
 * into config.json, and what the container observes (/proc/self/status, /proc/self/limits, env)
 * must match. Root only; busybox-static is the payload.
 */
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const helperBuilt = existsSync(join(import.meta.dirname, '..', '..', '..', 'dist', 'berth-helper'));
const skipReason = process.getuid?.() !== 0 ? 'needs root' : !busybox ? 'needs busybox-static' : !helperBuilt ? 'needs the built helper' : '';
const suite = skipReason ? describe.skip : describe;

let dir: string;
let bundleDir: string;
let count = 0;
beforeAll(() => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'berth-observed-'));
  chmodSync(dir, 0o755);
  bundleDir = join(dir, 'bundle');
  mkdirSync(join(bundleDir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync(busybox!, join(bundleDir, 'rootfs', 'bin', 'busybox'));
  symlinkSync('busybox', join(bundleDir, 'rootfs', 'bin', 'sh'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Run one container with the default config, edited; returns its stdout. */
function observe(script: string, edit: (spec: ReturnType<typeof defaultSpec>) => void): string {
  const spec = defaultSpec();
  spec.process!.terminal = false;
  spec.process!.args = ['sh', '-c', script];
  edit(spec);
  writeFileSync(join(bundleDir, 'config.json'), JSON.stringify(spec));
  const r = runBerth(['--root', join(dir, 'root'), 'run', '-b', bundleDir, `p${count++}`]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(readdirSync(join(dir, 'root'))).toEqual([]);
  return r.stdout;
}

const mask = (names: readonly string[]) => names.reduce((m, n) => m | (1n << BigInt(linuxCapabilities.indexOf(n as never))), 0n);
/** The capabilities this VM itself has in its bounding set (it lacks CAP_SYS_RESOURCE). */
const hostBounding = BigInt(`0x${/CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
const available = linuxCapabilities.filter((c) => (hostBounding & (1n << BigInt(linuxCapabilities.indexOf(c)))) !== 0n);

suite(`what a container observes matches its config${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('capability sets: bounding, permitted, effective, inheritable and ambient', () => {
    const caps = fc.subarray([...available]);
    fc.assert(
      fc.property(caps, caps, caps, (bounding, permittedExtra, inheritableExtra) => {
        // The kernel's rules (runc's too): permitted and inheritable ⊆ bounding; ambient ⊆ permitted ∩ inheritable.
        const permitted = permittedExtra.filter((c) => bounding.includes(c));
        const inheritable = inheritableExtra.filter((c) => bounding.includes(c));
        const ambient = permitted.filter((c) => inheritable.includes(c));
        const out = observe('grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status', (spec) => {
          spec.process!.capabilities = { bounding, permitted, effective: permitted, inheritable, ambient };
        });
        const seen = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, 6), BigInt(`0x${l.split(/\s+/)[1]}`)]));
        expect(seen.CapBnd).toBe(mask(bounding));
        expect(seen.CapPrm).toBe(mask(permitted));
        expect(seen.CapEff).toBe(mask(permitted));
        expect(seen.CapInh).toBe(mask(inheritable));
        expect(seen.CapAmb).toBe(mask(ambient));
      }),
      { numRuns: 12 },
    );
  });

  it('rlimits within the host\'s hard limits', () => {
    const limitNames: Record<string, string> = { RLIMIT_NOFILE: 'Max open files', RLIMIT_NPROC: 'Max processes', RLIMIT_CORE: 'Max core file size', RLIMIT_STACK: 'Max stack size' };
    const hostHard = (type: string) => {
      const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(limitNames[type]!))!;
      const hard = line.slice(limitNames[type]!.length).trim().split(/\s+/)[1]!;
      return hard === 'unlimited' ? 1 << 30 : Number(hard);
    };
    // Small enough to stay within the host's hard limits, large enough for a shell to run (a stack needs room).
    const floor: Record<string, number> = { RLIMIT_NOFILE: 16, RLIMIT_NPROC: 16, RLIMIT_CORE: 0, RLIMIT_STACK: 1 << 20 };
    const rlimit = fc.constantFrom(...Object.keys(limitNames)).chain((type) =>
      fc.integer({ min: floor[type]!, max: Math.min(hostHard(type), 1 << 24) }).chain((hard) => fc.integer({ min: floor[type]!, max: hard }).map((soft) => ({ type, soft, hard }))),
    );
    fc.assert(
      fc.property(fc.uniqueArray(rlimit, { selector: (r) => r.type, maxLength: 4 }), (rlimits) => {
        const out = observe('cat /proc/self/limits', (spec) => (spec.process!.rlimits = rlimits));
        for (const r of rlimits) {
          const line = out.split('\n').find((l) => l.startsWith(limitNames[r.type]!))!;
          expect(line.slice(limitNames[r.type]!.length).trim().split(/\s+/).slice(0, 2)).toEqual([String(r.soft), String(r.hard)]);
        }
      }),
      { numRuns: 10 },
    );
  });

  it('environment, cwd and user', () => {
    const name = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/).filter((n) => !['PATH', 'HOME', 'PWD', 'SHLVL', 'TERM'].includes(n));
    const value = fc.stringMatching(/^[a-zA-Z0-9 ._:\/=-]{0,20}$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 6 }), fc.integer({ min: 0, max: 65534 }), fc.constantFrom('/', '/tmp', '/work/dir'), (env, uid, cwd) => {
        const out = observe('id -u; id -g; pwd; env', (spec) => {
          spec.process!.env = [...spec.process!.env!, ...env.map(([n, v]) => `${n}=${v}`)];
          spec.process!.user = { uid, gid: uid };
          spec.process!.cwd = cwd;
          spec.root!.readonly = false;
        });
        const [seenUid, seenGid, seenCwd, ...seenEnv] = out.split('\n');
        expect([seenUid, seenGid, seenCwd]).toEqual([String(uid), String(uid), cwd]);
        for (const [n, v] of env) expect(seenEnv).toContain(`${n}=${v}`);
      }),
      { numRuns: 10 },
    );
  });
});
