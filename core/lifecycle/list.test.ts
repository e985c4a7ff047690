import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { formatTable, listContainers, ownerName } from './list.js';
import { engineFixture } from './test-support/engine-fixture.js';

/** The engine around the ProcessBackend test double: list reads what a real create recorded. */
let f: ReturnType<typeof engineFixture> | undefined;
afterEach(() => f?.cleanup());

describe('list', () => {
  it('names the owner of each container directory, as runc list does ("root"), where state keeps the record\'s ""', async () => {
    f = engineFixture();
    await f.container('a', { status: 'created' });
    const store = f.store;
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
