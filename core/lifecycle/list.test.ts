import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../state/container-record.js';
import { StateStore } from '../state/state-store.js';
import { formatTable, listContainers, ownerName } from './list.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const record = (id: string): ContainerRecord => ({
  recordVersion: 1,
  id,
  ociVersion: '1.3.0',
  bundle: '/b',
  rootfs: '/b/rootfs',
  created: '2026-01-01T00:00:00.000Z',
  owner: '',
  phase: 'creating',
  backend: { name: 'native', reason: 'default' },
});

describe('list', () => {
  it('names the owner of each container directory, as runc list does ("root"), where state keeps the record\'s ""', () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-list-'));
    const store = new StateStore(join(dir, 'root'));
    store.claim('a');
    store.write(record('a'));
    const uid = process.getuid!();
    const [state] = listContainers(store, `root:x:0:0:root:/root:/bin/sh\nsomeone:x:${uid}:${uid}::/:/bin/sh\n`);
    expect(state!.owner).toBe(uid === 0 ? 'root' : 'someone');
    expect(formatTable([state!]).split('\n')[1]).toMatch(/ (root|someone)$/);
  });

  it('ownerName: the passwd name for a listed uid, "#UID" otherwise', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nbin:x:2:2::/bin:/usr/sbin/nologin\n';
    expect(ownerName(0, passwd)).toBe('root');
    expect(ownerName(2, passwd)).toBe('bin');
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 2 ** 31 }), (uid) => {
        expect(ownerName(uid, passwd)).toBe(`#${uid}`);
      }),
    );
  });
});
