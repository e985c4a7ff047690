import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { RuntimeError } from '../errors/runtime-error.js';

/**
 * A per-container lock shared by every berth process on the host: an abstract Unix socket
 * bound under a name derived from (root, id). Binding is atomic, only one process can hold a
 * name, and the kernel drops it when the holder dies, so a crashed berth never leaves a stale
 * lock behind (a lock file would). Node has no flock(2), which is what runc uses.
 */
export class IdLock {
  constructor(
    private readonly root: string,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Wait for the lock on `id`; the returned function releases it. */
  async acquire(id: string): Promise<() => Promise<void>> {
    const name = `\0berth/${createHash('sha256').update(`${this.root}\0${id}`).digest('hex').slice(0, 40)}`;
    const deadline = Date.now() + this.timeoutMs;
    let delay = 2;
    for (;;) {
      const server = await tryBind(name);
      if (server) {
        server.unref();
        return () => new Promise<void>((resolve) => server.close(() => resolve()));
      }
      if (Date.now() > deadline) {
        throw new RuntimeError('LOCKED', `${id}: another berth process has held the container's lock for ${Math.round(this.timeoutMs / 1000)}s`);
      }
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 50);
    }
  }
}

function tryBind(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') resolve(undefined);
      else reject(RuntimeError.system('cannot take the container lock', e));
    });
    server.listen({ path: name }, () => resolve(server));
  });
}
