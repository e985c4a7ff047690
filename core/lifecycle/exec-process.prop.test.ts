import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linuxCapabilities } from '../spec/capabilities.js';
import type { Process } from '../spec/config.js';
import { execProcessFromFlags } from './exec-process.js';

const key = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/);
const value = fc.stringMatching(/^[a-z0-9=/:]{0,6}$/);
const entry = fc.tuple(key, value).map(([k, v]) => `${k}=${v}`);
const keyOf = (e: string) => e.slice(0, e.indexOf('='));
const baseProcess = (env: string[], caps: string[] = []): Process => ({
  user: { uid: 0, gid: 0 },
  args: ['init'],
  cwd: '/',
  env,
  capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: caps },
});

describe('execProcessFromFlags (property)', () => {
  it('--env: every variable has the value given last; the container\'s keep their places, new ones follow in first-given order', () => {
    const uniqueEnv = fc.uniqueArray(entry, { selector: keyOf, maxLength: 6 });
    fc.assert(
      fc.property(uniqueEnv, fc.array(entry, { maxLength: 8 }), (env, extra) => {
        const { process, diagnostics } = execProcessFromFlags(baseProcess(env), { args: ['x'], env: extra, tty: false, additionalGids: [], caps: [] });
        expect(diagnostics).toEqual([]);
        const last = new Map([...env, ...extra].map((e) => [keyOf(e), e]));
        const order = [...new Set([...env, ...extra].map(keyOf))];
        expect(process.env).toEqual(order.map((k) => last.get(k)));
      }),
    );
  });

  it('--cap: the three sets gain exactly the given capabilities; inheritable and ambient never change', () => {
    const cap = fc.constantFrom(...linuxCapabilities);
    fc.assert(
      fc.property(fc.uniqueArray(cap, { maxLength: 5 }), fc.array(cap, { minLength: 1, maxLength: 5 }), (held, added) => {
        const spelt = added.map((c) => c.replace(/^CAP_/, '').toLowerCase());
        const { process, diagnostics } = execProcessFromFlags(baseProcess([], held), { args: ['x'], env: [], tty: false, additionalGids: [], caps: spelt });
        expect(diagnostics).toEqual([]);
        const expected = [...new Set([...held, ...added])];
        for (const set of ['bounding', 'effective', 'permitted'] as const) expect(process.capabilities![set]).toEqual(expected);
        expect(process.capabilities!.inheritable).toEqual(held);
        expect(process.capabilities!.ambient).toEqual(held);
      }),
    );
  });

  it('--user uid[:gid] round-trips any uint32 pair', () => {
    const id = fc.nat({ max: 2 ** 32 - 1 });
    fc.assert(
      fc.property(id, fc.option(id, { nil: undefined }), (uid, gid) => {
        const user = gid === undefined ? String(uid) : `${uid}:${gid}`;
        const { process } = execProcessFromFlags(baseProcess([]), { args: ['x'], env: [], tty: false, additionalGids: [], caps: [], user });
        expect(process.user).toEqual({ uid, gid: gid ?? 0 });
      }),
    );
  });
});
