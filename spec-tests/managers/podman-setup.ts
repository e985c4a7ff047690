import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimes, type RuntimeName } from './runtimes.js';

/** What a user sees of one command: its output and its exit status. */
export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  input?: string;
  timeoutMs?: number;
}

/**
 * Runs a command to completion and resolves to what it printed and its exit status (128 + the
 * signal's number if a signal ended it). Asynchronous so that vitest's worker stays responsive
 * while podman runs; a command that hangs is killed after its timeout.
 */
export function runCommand(file: string, args: string[], options: CommandOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env, timeout: options.timeoutMs ?? 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => reject(new Error(`${file} ${args.join(' ')}: ${error.message}`)));
    child.on('close', (code, signal) => resolve({ status: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr }));
    child.stdin.on('error', () => {}); // a command that exits without reading its input is not an error
    child.stdin.end(options.input ?? '');
  });
}

const busybox = '/bin/busybox';

/** Why the podman suite cannot run here, or undefined when it can. */
export function podmanUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['podman', 'conmon', 'script']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool} (Debian package; .ci/run installs it)`;
  }
  if (!existsSync(busybox)) return 'needs busybox-static';
  return undefined;
}

/**
 * podman with a configuration of the test's own: its own graph root, run root, temporary and
 * network directories under a temporary directory, so the host's containers, images and networks
 * are never touched; berth, runc and crun registered by name, as a user would.
 */
export class PodmanSandbox {
  readonly image = 'localhost/berth-e2e/busybox:latest';
  private readonly env: NodeJS.ProcessEnv;

  private constructor(readonly dir: string) {
    this.env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf') };
  }

  static async create(): Promise<PodmanSandbox> {
    await mountHugetlbForCrun();
    const sandbox = new PodmanSandbox(mkdtempSync(join(tmpdir(), 'berth-podman-e2e-')));
    sandbox.writeConfiguration();
    await sandbox.importImage();
    await sandbox.anchorNetwork();
    return sandbox;
  }

  /** `podman --runtime NAME ARGS...`: every command of a scenario names the runtime under test. */
  podman(runtime: RuntimeName, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    return runCommand('podman', ['--runtime', runtime, ...args], { ...options, env: this.env });
  }

  /**
   * The same command with a terminal as its stdin and stdout (util-linux `script`), as when a
   * user types it: podman hands the runtime a console socket only then.
   */
  podmanInTerminal(runtime: RuntimeName, args: string[]): Promise<CommandResult> {
    const command = ['podman', '--runtime', runtime, ...args].map(shellQuote).join(' ');
    return runCommand('script', ['--quiet', '--return', '--command', command, '/dev/null'], { env: this.env });
  }

  /** Removes every container and image, then the sandbox (`system reset` unmounts the overlay). */
  async destroy(): Promise<void> {
    await this.podman('berth', ['rm', '--all', '--force', '--time', '0']);
    const reset = await this.podman('berth', ['system', 'reset', '--force']);
    if (reset.status !== 0) throw new Error(`podman system reset: ${reset.stderr}`);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private writeConfiguration(): void {
    const path = (sub: string) => join(this.dir, sub);
    const quoted = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
    writeFileSync(
      path('storage.conf'),
      ['[storage]', 'driver = "overlay"', `graphroot = ${JSON.stringify(path('graph'))}`, `runroot = ${JSON.stringify(path('run'))}`, ''].join('\n'),
    );
    writeFileSync(
      path('containers.conf'),
      [
        '[containers]',
        // This VM lacks CAP_SYS_RESOURCE: podman as root asks for 1048576 otherwise, which no
        // runtime may grant here. These are the host's hard limits.
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
        '',
        '[network]',
        `network_config_dir = ${JSON.stringify(path('networks'))}`,
        '',
        '[engine]',
        // No systemd as pid 1 here.
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `tmp_dir = ${JSON.stringify(path('tmp'))}`,
        // podman passes `--log-format=json --log FILE` only to these runtimes (by basename), and
        // reads a failed call's message from that file.
        `runtime_supports_json = ${quoted(['crun', 'runc', 'berth'])}`,
        '',
        '[engine.runtimes]',
        ...runtimes.map((r) => `${r.name} = ${quoted([r.path])}`),
        '',
      ].join('\n'),
    );
  }

  /**
   * netavark removes the default network's firewall chains with its last container, and the
   * cleanup of one scenario's container (run by conmon, after podman returned) can do that while
   * the next scenario's container is adding its rules ("No chain/target/match by that name").
   * A container that stays on the network for the whole suite keeps the chains; it runs on runc,
   * the reference runtime, so a berth failure cannot take the other scenarios with it.
   */
  private async anchorNetwork(): Promise<void> {
    const anchor = await this.podman('runc', ['run', '--detach', '--name', 'berth-e2e-network-anchor', this.image, 'sleep', '1000000']);
    if (anchor.status !== 0) throw new Error(`podman run (network anchor): ${anchor.stderr}`);
  }

  /** A busybox-static userland with every applet linked, imported without any network. */
  private async importImage(): Promise<void> {
    const rootfs = join(this.dir, 'image', 'rootfs');
    for (const sub of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(rootfs, sub), { recursive: true });
    writeFileSync(join(rootfs, 'bin', 'busybox'), readFileSync(busybox), { mode: 0o755 });
    for (const applet of (await runCommand(busybox, ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox')) {
      symlinkSync('busybox', join(rootfs, 'bin', applet));
    }
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
    const archive = join(this.dir, 'image', 'rootfs.tar');
    const tar = await runCommand('tar', ['-C', rootfs, '-cf', archive, '.']);
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
    const imported = await this.podman('berth', ['import', '--change', 'CMD=["/bin/sh"]', archive, this.image]);
    if (imported.status !== 0) throw new Error(`podman import: ${imported.stderr}`);
  }
}

/** crun 1.8 refuses to run on this hybrid cgroup layout until the v1 hugetlb hierarchy exists. */
async function mountHugetlbForCrun(): Promise<void> {
  if (!existsSync('/sys/fs/cgroup/memory')) return; // cgroup v2 only: nothing to do
  const mounted = await runCommand('sh', ['-c', 'mountpoint -q /sys/fs/cgroup/hugetlb || (mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb)']);
  if (mounted.status !== 0) throw new Error(`mounting the hugetlb cgroup hierarchy: ${mounted.stderr}`);
}

const shellQuote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
