import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../host-facts.js';
import {
  argsEnvCase,
  capabilitiesCase,
  envVerbatimCase,
  expectedCapabilities,
  expectedMount,
  mountOptions,
  mountsCase,
  namespacesCase,
  oomScoreAdjCase,
  rlimitsCase,
} from './config-gen.js';

const host: HostFacts = {
  boundingCaps: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID', 'CAP_NET_RAW', 'CAP_SYS_ADMIN'],
  hardLimits: { RLIMIT_NOFILE: 20000, RLIMIT_NPROC: null, RLIMIT_NICE: 0, RLIMIT_CORE: null, RLIMIT_STACK: null },
  oomScoreAdj: -100,
  namespaces: { user: 1, mnt: 2, pid: 3, net: 4, ipc: 5, uts: 6, cgroup: 7 },
  sysctls: {},
};

const keysOf = (env: string[]) => env.map((e) => e.slice(0, e.indexOf('=')));

describe('config generators stay valid and within the host', () => {
  it('env: unique names; args-env has exactly one HOME, the verbatim case none', () => {
    fc.assert(
      fc.property(argsEnvCase, envVerbatimCase, (c, verbatim) => {
        expect(new Set(keysOf(c.env)).size).toBe(c.env.length);
        expect(keysOf(c.env).filter((k) => k === 'HOME')).toHaveLength(1);
        expect(keysOf(verbatim)).not.toContain('HOME');
        for (const s of [...c.args, ...c.env]) expect(s).not.toContain('\0');
      }),
    );
  });

  it('capabilities: effective within permitted, permitted and inheritable within bounding within the host\'s, ambient within both; a non-root uid', () => {
    fc.assert(
      fc.property(capabilitiesCase(host), (c) => {
        const within = (a: string[], b: string[]) => a.every((x) => b.includes(x));
        expect(within(c.bounding, host.boundingCaps)).toBe(true);
        expect(within(c.permitted, c.bounding) && within(c.inheritable, c.bounding) && within(c.effective, c.permitted)).toBe(true);
        expect(within(c.ambient, c.permitted) && within(c.ambient, c.inheritable)).toBe(true);
        expect(c.uid).toBeGreaterThan(0);
        const after = expectedCapabilities(c);
        expect(after.permitted).toEqual(after.ambient);
        expect(after.effective).toEqual(after.ambient);
      }),
    );
  });

  it('rlimits: one entry per type, soft <= hard <= the host\'s hard limit', () => {
    fc.assert(
      fc.property(rlimitsCase(host), (limits) => {
        expect(new Set(limits.map((l) => l.type)).size).toBe(limits.length);
        for (const l of limits) {
          expect(l.soft).toBeLessThanOrEqual(l.hard);
          const cap = host.hardLimits[l.type];
          if (cap !== null && cap !== undefined) expect(l.hard).toBeLessThanOrEqual(cap);
        }
        // RLIMIT_NICE's hard limit is 0 here and its range starts at 0: still possible, at 0.
        const nice = limits.find((l) => l.type === 'RLIMIT_NICE');
        if (nice) expect(nice).toMatchObject({ soft: 0, hard: 0 });
      }),
    );
  });

  it('mounts: the expected flags are the asked ones, ro or rw exactly once; a bind always says bind or rbind', () => {
    fc.assert(
      fc.property(mountsCase, (ms) => {
        for (const m of ms) {
          const want = expectedMount(m);
          expect(want.options.filter((o) => o === 'ro' || o === 'rw')).toHaveLength(1);
          expect(want.absentOptions.filter((o) => want.options.includes(o))).toEqual([]);
          if (m.kind === 'bind') expect(mountOptions(m)[0]).toMatch(/^r?bind$/);
          else if (m.sizeKiB !== undefined) expect(m.sizeKiB % 4).toBe(0);
        }
      }),
    );
  });

  it('namespaces: a kind is new or joined, never both; oomScoreAdj never below the runtime\'s own', () => {
    fc.assert(
      fc.property(namespacesCase, oomScoreAdjCase(host), (ns, oom) => {
        expect(ns.fresh.filter((k) => (ns.joined as string[]).includes(k))).toEqual([]);
        if (oom !== undefined) expect(oom).toBeGreaterThanOrEqual(host.oomScoreAdj);
      }),
    );
  });
});
