import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { execCase, pauseModel, resourceUpdate, sharesToWeight, type PauseOp } from './verbs.js';

describe('the verbs group\'s pure parts', () => {
  it('exec cases: flags carry no additional gids (crun has no -g), and PATH and HOME are never among the added variables', () => {
    fc.assert(
      fc.property(execCase, (c) => {
        if (c.via === 'flags') expect(c.additionalGids).toEqual([]);
        const names = c.env.map((e) => e.slice(0, e.indexOf('=')));
        expect(new Set(names).size).toBe(names.length);
        expect(names).not.toContain('PATH');
        expect(names).not.toContain('HOME');
      }),
    );
  });

  it('pause model: only pause from running and resume from paused succeed; a refused operation keeps the status', () => {
    const ops: PauseOp[] = ['pause', 'resume', 'state', 'delete'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ops), { maxLength: 20 }), (sequence) => {
        let status: 'running' | 'paused' = 'running';
        for (const op of sequence) {
          const { ok, next } = pauseModel(status, op);
          if (!ok) expect(next).toBe(status);
          if (op === 'delete') expect(ok).toBe(false);
          if (op === 'pause') expect(ok).toBe(status === 'running');
          if (op === 'resume') expect(ok).toBe(status === 'paused');
          status = next;
        }
      }),
    );
  });

  it('an update always changes at least one resource, with values every cgroup version accepts', () => {
    fc.assert(
      fc.property(resourceUpdate, (u) => {
        expect(u.memory !== undefined || u.pids !== undefined || u.cpuShares !== undefined).toBe(true);
        if (u.memory !== undefined) expect(u.memory % 4096).toBe(0);
        if (u.cpuShares !== undefined) expect(u.cpuShares).toBeGreaterThanOrEqual(2);
      }),
    );
  });

  it('cpu shares map onto the whole cpu.weight range, monotonically (runc\'s conversion)', () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(262144)).toBe(10000);
    expect(sharesToWeight(1024)).toBe(39);
    fc.assert(fc.property(fc.integer({ min: 2, max: 262143 }), (s) => {
      expect(sharesToWeight(s + 1)).toBeGreaterThanOrEqual(sharesToWeight(s));
    }));
  });
});
