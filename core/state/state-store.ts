import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../errors/runtime-error.js';
import { parseExactJson } from '../spec/exact-json.js';
import type { ContainerRecord } from './container-record.js';
import type { IdLock } from './id-lock.js';
import { containerIdProblem } from '../spec/container-id.js';

/**
 * Containers on disk: <root>/<id>/state.json (the record) and <root>/<id>/config.json (the
 * config frozen at create: later edits to the bundle must not affect the container).
 * Writes are atomic (temp file + fsync + rename), so a reader never sees half a record.
 * Kept free of DI decorators: `berth state` constructs it directly to start fast.
 */
export class StateStore {
  private lock: IdLock | undefined;

  constructor(readonly root: string) {}

  /** The container's directory; an id that is not a valid container id never becomes a path. */
  containerDir(id: string): string {
    const problem = containerIdProblem(id);
    if (problem) throw new RuntimeError('INVALID_ARGUMENT', problem);
    return join(this.root, id);
  }

  /** Run `fn` holding the container's lock, so concurrent invocations on one id serialize. */
  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    this.containerDir(id);
    // Loaded on first use: node:net and node:crypto cost ~10 ms that read-only verbs never need.
    this.lock ??= new (await import('./id-lock.js')).IdLock(this.root);
    const release = await this.lock.acquire(id);
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  /** The record, or a CONTAINER_NOT_FOUND error with runc's text. */
  read(id: string): ContainerRecord {
    const record = this.tryRead(id);
    if (!record) throw RuntimeError.notFound(id);
    return record;
  }

  tryRead(id: string): ContainerRecord | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.containerDir(id), 'state.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw RuntimeError.system(`${id}: cannot read state`, e);
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch (e) {
      throw new RuntimeError('SYSTEM', `${id}: state file ${join(this.root, id, 'state.json')} is corrupt; \`delete --force\` removes it`, { cause: e });
    }
  }

  /**
   * Claim the id by creating its directory; exactly one concurrent claimant wins (mkdir is
   * atomic), the others get runc's "already exists" error.
   */
  claim(id: string): void {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(this.containerDir(id), { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw RuntimeError.exists(id);
      throw RuntimeError.system(`${id}: cannot create state directory under ${this.root}`, e);
    }
  }

  /**
   * `durable: false` skips the fsync (still atomic): for what only has to survive the death of the
   * berth process, not of the machine, such as create's progress (after a reboot the cgroups and
   * processes it names are gone anyway).
   */
  write(record: ContainerRecord, options: { durable?: boolean } = {}): void {
    writeAtomic(join(this.containerDir(record.id), 'state.json'), JSON.stringify(record), options.durable ?? true);
  }

  /** The text as given: create freezes config.json's own text; update writes stringifyExactJson's. */
  writeFrozenConfig(id: string, configText: string): void {
    writeAtomic(join(this.containerDir(id), 'config.json'), configText);
  }

  /**
   * The frozen config, its integers exact (a bigint beyond 2^53, as exact-json.ts reads
   * config.json). A container created by a berth that read configs with JSON.parse may have
   * frozen a text the exact reader refuses (a repeated key, say): it is read as that berth read
   * it, so the container can still be managed and deleted.
   */
  readFrozenConfig(id: string): unknown {
    let text: string;
    try {
      text = readFileSync(join(this.containerDir(id), 'config.json'), 'utf8');
    } catch (e) {
      throw RuntimeError.system(`${id}: cannot read the config frozen at create`, e);
    }
    const { value } = parseExactJson(text);
    if (value !== undefined) return value;
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw RuntimeError.system(`${id}: the config frozen at create is corrupt`, e);
    }
  }

  /** Remove the container's directory and everything berth kept in it. */
  remove(id: string): void {
    rmSync(this.containerDir(id), { recursive: true, force: true });
  }

  /** The uid owning the container's directory: who created it (runc's `list` OWNER). */
  ownerUid(id: string): number {
    return statSync(this.containerDir(id)).uid;
  }

  /** Ids of every container under the root, sorted; an absent root holds none. */
  list(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw RuntimeError.system(`cannot list ${this.root}`, e);
    }
  }
}

function writeAtomic(path: string, text: string, durable = true): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
