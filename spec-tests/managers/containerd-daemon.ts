import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A containerd of the suite's own: its config, root, state and socket live in a test directory,
 * and the suite starts and stops it by pid. Only the runc shim's runtime root
 * (/run/containerd/runc/NS) and its sockets (/run/containerd/s) are where the shim puts them for
 * every containerd, which is what users run.
 */

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

/** Why the containerd suite cannot run here, or '' when it can. */
export function containerdSkipReason(): string {
  if (process.getuid?.() !== 0) return 'needs root';
  const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2', 'podman', 'skopeo', 'script'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (!busybox) missing.push('busybox-static');
  return missing.length > 0 ? `needs ${missing.join(', ')} from Debian` : '';
}

/**
 * Run a command to its exit. Output goes to files, not pipes: a process a command leaves behind
 * (a shim, a detached container) may hold inherited pipes open long after the command is gone.
 */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; scratch: string; input?: string; timeoutMs?: number }): CommandResult {
  mkdirSync(options.scratch, { recursive: true });
  const outPath = join(options.scratch, 'stdout');
  const errPath = join(options.scratch, 'stderr');
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  try {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const r = spawnSync(command, args, { stdio: [stdin, out, err], input: options.input, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000 });
    const stderr = readFileSync(errPath, 'utf8') + (r.error ? `\n${r.error.message}` : '');
    return { code: r.status ?? -1, stdout: readFileSync(outPath, 'utf8'), stderr };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

/** One word for sh -c. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export class Containerd {
  readonly socket: string;
  private constructor(
    readonly dir: string,
    private readonly daemon: ChildProcess,
  ) {
    this.socket = join(dir, 'containerd.sock');
  }

  get pid(): number {
    return this.daemon.pid!;
  }

  /** Start containerd on a fresh config under `dir` and wait until it answers. */
  static async start(dir: string): Promise<Containerd> {
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'config.toml');
    writeFileSync(config, daemonConfig(dir));
    const log = openSync(join(dir, 'containerd.log'), 'a');
    const daemon = spawn('containerd', ['--config', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    const containerd = new Containerd(dir, daemon);
    const deadline = Date.now() + 30_000;
    while (containerd.ctr('default', ['version']).code !== 0) {
      if (daemon.exitCode !== null || Date.now() > deadline) {
        await containerd.stop();
        throw new Error(`containerd did not come up (see ${join(dir, 'containerd.log')})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return containerd;
  }

  /**
   * `ctr` against this containerd, in namespace `namespace`, with `input` on its stdin; with
   * `terminal`, on a pty of its own (script(1)), as typed in a terminal: what `-t` needs.
   */
  ctr(namespace: string, args: readonly string[], options: { input?: string; terminal?: boolean } = {}): CommandResult {
    const argv = ['ctr', '--address', this.socket, '--namespace', namespace, ...args];
    const [command, ...rest] = options.terminal ? ['script', '--quiet', '--return', '--command', argv.map(shellQuote).join(' '), '/dev/null'] : argv;
    return run(command!, rest, { scratch: join(this.dir, 'ctr-output'), input: options.input });
  }

  /**
   * `ctr events`, once it is seen to receive them (a namespace label it must report), until
   * stopped, which resolves to what it printed meanwhile (one event a line, every namespace).
   */
  async watchEvents(namespace: string): Promise<{ stop(): Promise<string> }> {
    const output = join(this.dir, `events-${Date.now()}`);
    const fd = openSync(output, 'w');
    const watcher = spawn('ctr', ['--address', this.socket, 'events'], { stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    const deadline = Date.now() + 15_000;
    for (let probe = 1; !readFileSync(output, 'utf8').includes(`/namespaces/update`); probe++) {
      if (Date.now() > deadline) throw new Error('ctr events reported no event within 15 s');
      this.ctr(namespace, ['namespaces', 'label', namespace, `berth-e2e-events-probe=${probe}`]);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      async stop() {
        if (watcher.exitCode === null && watcher.signalCode === null) {
          const exited = new Promise((resolve) => watcher.once('exit', resolve));
          watcher.kill('SIGTERM');
          await exited;
        }
        return readFileSync(output, 'utf8');
      },
    };
  }

  /**
   * Remove every task and container of `namespace` (so their shims exit), then the directories
   * the shim and ctr leave for a namespace: the runtime root and the cgroup parent.
   */
  clearNamespace(namespace: string): void {
    for (const id of lines(this.ctr(namespace, ['task', 'ls', '--quiet']).stdout)) {
      this.ctr(namespace, ['task', 'kill', '--signal', 'SIGKILL', id]);
      this.ctr(namespace, ['task', 'delete', '--force', id]);
    }
    for (const id of lines(this.ctr(namespace, ['container', 'ls', '--quiet']).stdout)) this.ctr(namespace, ['container', 'rm', id]);
    for (const id of lines(this.ctr(namespace, ['image', 'ls', '--quiet']).stdout)) this.ctr(namespace, ['image', 'rm', id]);
    removeEmptyDir(shimRuntimeRoot(namespace));
    for (const hierarchy of cgroupHierarchies()) removeEmptyDir(join('/sys/fs/cgroup', hierarchy, namespace));
  }

  /** SIGTERM by pid, SIGKILL if it has not exited within 10 s. */
  async stop(): Promise<void> {
    if (this.daemon.exitCode !== null || this.daemon.signalCode !== null) return;
    const exited = new Promise((resolve) => this.daemon.once('exit', resolve));
    process.kill(this.daemon.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(this.daemon.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function daemonConfig(dir: string): string {
  return [
    'version = 2',
    `root = ${JSON.stringify(join(dir, 'root'))}`,
    `state = ${JSON.stringify(join(dir, 'state'))}`,
    // CRI wants networking and an image registry; opt would install into /opt/containerd.
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt"]',
    '[grpc]',
    `  address = ${JSON.stringify(join(dir, 'containerd.sock'))}`,
    '[ttrpc]',
    `  address = ${JSON.stringify(join(dir, 'containerd.sock.ttrpc'))}`,
    '',
  ].join('\n');
}

/** Where containerd's runc shim keeps the runtime's state for a namespace (the `--root` it passes). */
export function shimRuntimeRoot(namespace: string): string {
  return join('/run/containerd/runc', namespace);
}

/** The cgroup hierarchies mounted here (v1 controllers and the v2 "unified" one), by directory name. */
export function cgroupHierarchies(): string[] {
  return readdirSync('/sys/fs/cgroup').filter((d) => existsSync(join('/sys/fs/cgroup', d, 'cgroup.procs')));
}

function removeEmptyDir(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Not there, or not empty: a leftover the tests report themselves.
  }
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

/**
 * A busybox-static image with no network, the way a user without a registry makes one: a rootfs
 * tarball imported with `podman import` into a test-owned store, copied out with
 * `skopeo copy containers-storage:IMG oci-archive:FILE:IMG`. Returns the archive and the image name.
 */
export function buildBusyboxArchive(dir: string): { archive: string; image: string } {
  const image = 'localhost/berth-e2e-busybox:latest';
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(busybox!, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  const applets = lines(run(busybox!, ['--list'], { scratch: join(dir, 'output') }).stdout);
  for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const tarball = join(dir, 'rootfs.tar');
  mustRun('tar', ['-C', rootfs, '-cf', tarball, '.'], dir);

  // vfs: an import-only store needs no overlay mount that teardown would have to undo.
  const storageConf = join(dir, 'storage.conf');
  writeFileSync(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = ${JSON.stringify(join(dir, 'storage'))}\nrunroot = ${JSON.stringify(join(dir, 'storage-run'))}\n`);
  // podman as root asks for rlimits above this host's hard limits unless told otherwise.
  const containersConf = join(dir, 'containers.conf');
  writeFileSync(containersConf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n');
  const env = { ...process.env, CONTAINERS_STORAGE_CONF: storageConf, CONTAINERS_CONF: containersConf };
  mustRun('podman', ['import', '--change', 'CMD ["/bin/sh"]', tarball, image], dir, env);
  const archive = join(dir, 'busybox-oci.tar');
  mustRun('skopeo', ['copy', `containers-storage:${image}`, `oci-archive:${archive}:${image}`], dir, env);
  return { archive, image };
}

function mustRun(command: string, args: readonly string[], dir: string, env?: NodeJS.ProcessEnv): CommandResult {
  const r = run(command, args, { scratch: join(dir, 'output'), env });
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}
