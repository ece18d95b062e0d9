// The reference the lab's speed is held to: this machine's Linux kernel receiving one bulk TCP flow over a
// veth pair between two network namespaces, with iperf3 as sender and receiver, segmentation offloads off on
// the sender (so every 1448-byte segment is its own 1514-byte frame on the pair, as in the lab's cases) and
// the receiving end's GRO on (veth then receives through NAPI and GRO) or off (netif_rx, one skb per frame).
// The figure is frames the receiving veth counted (rx_packets) per second over a window of `seconds` that
// opens one second into the flow, when slow start is over, and closes before the sender stops. Sender and receiver share this machine's cores, as in the issue that set the target.
//
// Bounded: the flow lasts `seconds` (5 by default) and every command has a timeout. It needs root, `ip`,
// `ethtool` and `iperf3` (Debian packages iproute2, ethtool, iperf3); without them the case is skipped with
// the reason. It makes its own two namespaces with names unique to this process and removes them, so runs
// by several users at once do not meet; no other interface is touched and no traffic leaves the pair.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface KernelVethResult {
  /** Frames the receiving veth counted in the window (rx_packets). */
  frames: number;
  /** The window's length (seconds of wall clock). */
  seconds: number;
  /** Frame bytes the receiving veth counted in the window (rx_bytes: Ethernet header and payload, no FCS). */
  bytes: number;
  /** The kernel release measured. */
  kernel: string;
}

/** Why the kernel reference cannot run here, or null when it can. */
export function kernelVethUnavailable(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (network namespaces and veth)';
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['ethtool', 'ethtool'],
    ['iperf3', 'iperf3'],
  ] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore', timeout: 5000 });
    } catch {
      return `needs ${tool} (apt-get install ${pkg})`;
    }
  }
  return null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function sh(args: string[], timeoutMs = 10_000): string {
  return execFileSync(args[0]!, args.slice(1), {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs one bulk flow for `seconds` with the receiver's GRO on or off; throws with the failing command's message. */
export async function measureKernelVeth(gro: boolean, seconds = 5): Promise<KernelVethResult> {
  const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`.slice(0, 9);
  const nsS = `vnb-s-${tag}`,
    nsC = `vnb-c-${tag}`,
    vS = `vbs${tag}`,
    vC = `vbc${tag}`;
  const inS = (...a: string[]) => ['ip', 'netns', 'exec', nsS, ...a];
  const inC = (...a: string[]) => ['ip', 'netns', 'exec', nsC, ...a];
  const made: string[] = [];
  try {
    sh(['ip', 'netns', 'add', nsS]);
    made.push(nsS);
    sh(['ip', 'netns', 'add', nsC]);
    made.push(nsC);
    sh(['ip', 'link', 'add', vS, 'netns', nsS, 'type', 'veth', 'peer', 'name', vC, 'netns', nsC]);
    for (const [ns, v, addr] of [
      [nsS, vS, '10.201.0.2/24'],
      [nsC, vC, '10.201.0.1/24'],
    ] as const) {
      sh(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${v}.disable_ipv6=1`]);
      sh(['ip', '-n', ns, 'addr', 'add', addr, 'dev', v]);
      sh(['ip', '-n', ns, 'link', 'set', v, 'mtu', '1500', 'up']);
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // the sender hands the pair one frame per segment; the receiver's GRO decides whether veth uses NAPI
    sh(inC('ethtool', '-K', vC, 'tso', 'off', 'gso', 'off'));
    sh(inS('ethtool', '-K', vS, 'gro', gro ? 'on' : 'off'));
    const serverCmd = inS('iperf3', '-s', '-1', '-B', '10.201.0.2');
    const server = spawn(serverCmd[0]!, serverCmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      // iperf3 buffers its banner when its output is a pipe: wait for its socket instead
      const listening = () => sh(inS('ss', '-Hltn', 'sport', '=', ':5201')).trim() !== '';
      for (let waited = 0; !listening(); waited += 50) {
        if (server.exitCode !== null) throw new Error(`iperf3 server exited (${server.exitCode}) before listening`);
        if (waited >= 10_000) throw new Error('iperf3 server did not start listening within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      // the window starts a second into the flow (slow start over) and ends before the sender stops
      const counters = () => {
        const j = JSON.parse(sh(['ip', '-n', nsS, '-s', '-j', 'link', 'show', vS])) as {
          stats64?: { rx?: { packets?: number; bytes?: number } };
        }[];
        const rx = j[0]?.stats64?.rx;
        if (rx?.packets === undefined || rx.bytes === undefined)
          throw new Error(`ip -s -j link show ${vS}: no rx counters`);
        return { packets: rx.packets, bytes: rx.bytes, at: process.hrtime.bigint() };
      };
      const clientCmd = inC('iperf3', '-c', '10.201.0.2', '-t', String(seconds + 2));
      const client = spawn(clientCmd[0]!, clientCmd.slice(1), { stdio: 'ignore' });
      const clientExit = new Promise<number | null>((resolve) => client.on('exit', (code) => resolve(code)));
      try {
        await sleep(1000);
        const a = counters();
        await sleep(seconds * 1000);
        const b = counters();
        if (client.exitCode !== null)
          throw new Error(`iperf3 client exited (${client.exitCode}) before the window closed`);
        return {
          frames: b.packets - a.packets,
          bytes: b.bytes - a.bytes,
          seconds: Number(b.at - a.at) / 1e9,
          kernel: sh(['uname', '-r']).trim(),
        };
      } finally {
        if (client.exitCode === null) client.kill('SIGTERM');
        await Promise.race([clientExit, sleep(5000)]);
      }
    } finally {
      if (server.exitCode === null) server.kill('SIGTERM');
    }
  } finally {
    // deleting a namespace removes the veth end inside it, and with it the peer
    for (const ns of made) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
  }
}
