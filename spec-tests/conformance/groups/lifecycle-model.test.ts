import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectation, type Operation, type Presence } from './lifecycle-model.js';

const operations: Operation[] = ['create', 'start', 'state', 'kill', 'delete'];
const presences: Presence[] = ['absent', 'created', 'running', 'stopped'];

describe('the spec state machine', () => {
  it('is runtime.md\'s table: create from absent, start from created, kill from created or running, delete from stopped, state from any container', () => {
    const allowed = Object.fromEntries(operations.map((op) => [op, presences.filter((p) => expectation(op, p).allowed)]));
    expect(allowed).toEqual({
      create: ['absent'],
      start: ['created'],
      state: ['created', 'running', 'stopped'],
      kill: ['created', 'running'],
      delete: ['stopped'],
    });
  });

  it('moves forward only: created, then running (or stopped when the program exits at once), then stopped, then gone', () => {
    expect(expectation('create', 'absent')).toMatchObject({ next: 'created' });
    expect(expectation('start', 'created')).toMatchObject({ next: 'running' });
    expect(expectation('start', 'created', true)).toMatchObject({ next: 'stopped' });
    expect(expectation('kill', 'running')).toMatchObject({ next: 'stopped' });
    expect(expectation('delete', 'stopped')).toMatchObject({ next: 'absent' });
  });

  it('from any sequence of operations, kill then delete brings every container back to absent, and the id can be created again', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...operations), { maxLength: 20 }), (ops) => {
        let p: Presence = 'absent';
        for (const op of ops) {
          const e = expectation(op, p);
          if (e.allowed) p = e.next;
        }
        for (const op of ['kill', 'delete'] as const) {
          const e = expectation(op, p);
          if (e.allowed) p = e.next;
        }
        expect(p).toBe('absent');
        expect(expectation('create', p).allowed).toBe(true);
      }),
    );
  });

  it('every refusal names the clause that requires it, and state never changes a status', () => {
    for (const op of operations) for (const p of presences) {
      const e = expectation(op, p);
      expect(e.clause.quote.length).toBeGreaterThan(20);
      if (op === 'state' && e.allowed) expect(e.next).toBe(p);
    }
  });
});
