// Asks the running Linux kernel what its GRO makes of a burst of frames: the frames leave one end of
// a veth pair (each end in a network namespace of its own, made and removed here) and the other end,
// GRO on, gro_flush_timeout 200 µs and napi_defer_hard_irqs 1 as the kernel's own GRO selftest sets
// them, hands what its stack received to a packet socket. No other interface is touched and nothing
// leaves the pair. Needs root, `ip` (iproute2), `ethtool` and `python3` (the packet sockets).
// Not core: Node's child processes and the host's tools.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, release } from 'node:os';
import { join, delimiter } from 'node:path';
import { existsSync } from 'node:fs';
import { decodeFrame, TCP_FLAG, WireError } from '../wire/index.ts';

/** What a receiver got, packet by packet: TCP sequence number, payload length, and F when FIN is set. */
export type PacketSummary = [seq: number, payload: number, fin?: 'F'];

/** Summaries of the TCP packets among `frames` (anything else is left out: GRO does not touch it). */
export function summarize(frames: Iterable<Uint8Array>): PacketSummary[] {
  const out: PacketSummary[] = [];
  for (const f of frames) {
    const d = decodeFrame(f);
    if (d instanceof WireError || d.tcp === undefined) continue;
    out.push((d.tcp.flags & TCP_FLAG.FIN) !== 0 ? [d.tcp.seq, d.payloadLength, 'F'] : [d.tcp.seq, d.payloadLength]);
  }
  return out;
}

/** What is missing for asking the kernel, or null when everything is there. */
export function kernelGroMissing(path = process.env['PATH'] ?? ''): string | null {
  const missing: string[] = [];
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) missing.push('root');
  for (const tool of ['ip', 'ethtool', 'python3']) if (!onPath(tool, path)) missing.push(tool);
  return missing.length === 0 ? null : missing.join(', ');
}

function onPath(tool: string, path: string): boolean {
  return path.split(delimiter).some((d) => d !== '' && existsSync(join(d, tool)));
}

export interface KernelGroAnswer {
  kernel: string;
  frames: Uint8Array[];
}

/** How the receiving end of the pair is set up; unset fields keep the kernel's defaults (gro_max_size 65536). */
export interface KernelGroOptions {
  /** gro_flush_timeout in µs (default 200, as the kernel's GRO selftest). */
  groFlushTimeoutUs?: number;
  /** `ip link set … gro_max_size`: the IPv6 limit, up to BIG TCP sizes. */
  groMaxSize?: number;
  /** `ip link set … gro_ipv4_max_size`: the IPv4 limit. */
  groIpv4MaxSize?: number;
  /**
   * How long the receiver waits, once the sender has sent every frame, for a pause with no packet before it stops
   * (ms, default 100, and at least three flush timeouts more: GRO lets its last packets go within two).
   */
  settleMs?: number;
  /**
   * An XDP program that passes every frame, on the receiving end: the veth then rebuilds each skb with
   * XDP_PACKET_HEADROOM (256 bytes) before GRO. Linux 6.18 builds an IPv6 GRO packet past 64 KB only when the
   * held skb has headroom for the hop-by-hop jumbo header it inserts (skb_gro_receive); the packet socket's
   * skbs that reach GRO without it stop at 64 KB, with it they reach gro_max_size.
   */
  xdpPass?: boolean;
  /**
   * The sending packet socket's send buffer in bytes (SO_SNDBUFFORCE; unset: the kernel's wmem_default). The
   * segments GRO holds stay charged to the sender (skb_gro_receive hands their ownership to the held packet), so
   * with the default 212992 bytes send() blocks once about 93 frames of 1514 bytes are held, and the pause ends
   * the GRO packet there. A case whose packets pass that needs a larger buffer; the others keep the default,
   * whose blocking paces the burst. Either way the sender also paces itself, one frame every 5 µs, so that no
   * NAPI poll fills its budget (which flushes every held packet at HZ=250): unpaced, a fast machine's sender queued
   * 65 frames inside one 200 µs flush-timer period, and with gro_ipv4_max_size 131072 the kernel cut its packet at
   * 65 segments in 10 of 12 asks; paced, 12 of 12 asks reached the lab's 90.
   */
  sendBufferBytes?: number;
}

/** Sends `frames` back to back into the pair and returns, in order, the frames the receiving stack got after GRO. */
export function askKernelGro(frames: readonly Uint8Array[], opts: KernelGroOptions = {}): KernelGroAnswer {
  const dir = mkdtempSync(join(tmpdir(), 'vnic-kgro-'));
  try {
    const input = join(dir, 'in.bin'),
      output = join(dir, 'out.bin');
    // length-prefixed frames: the simplest thing both sides read without a pcap parser in Python
    const total = frames.reduce((n, f) => n + 4 + f.length, 0);
    const buf = new Uint8Array(total);
    const dv = new DataView(buf.buffer);
    let o = 0;
    for (const f of frames) {
      dv.setUint32(o, f.length);
      buf.set(f, o + 4);
      o += 4 + f.length;
    }
    writeFileSync(input, buf);
    const res = spawnSync(
      'python3',
      [
        '-c',
        HELPER,
        input,
        output,
        String(opts.groFlushTimeoutUs ?? 200),
        String(opts.settleMs ?? 100),
        String(opts.groMaxSize ?? 0),
        String(opts.groIpv4MaxSize ?? 0),
        opts.xdpPass === true ? '1' : '0',
        String(opts.sendBufferBytes ?? 0),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 },
    );
    if (res.status !== 0)
      throw new Error(
        `asking the kernel failed: ${(res.stderr ?? '').trim().split('\n').at(-1) ?? `exit ${res.status}`}`,
      );
    const out = readFileSync(output);
    const got: Uint8Array[] = [];
    for (let p = 0; p + 4 <= out.length; ) {
      const n = out.readUInt32BE(p);
      got.push(new Uint8Array(out.subarray(p + 4, p + 4 + n)));
      p += 4 + n;
    }
    return { kernel: release(), frames: got };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `ip` can make network namespaces here (a container may forbid it even to root). */
export function canMakeNetns(): boolean {
  const name = `vnic_probe_${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The Python side: namespaces, veth, sender and receiver. Frames in and out as 4-byte big-endian lengths + bytes.
const HELPER = String.raw`
import os, socket, struct, subprocess, sys, threading, time, uuid
src, dst, flush_us, settle_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
gro_max, gro_ipv4_max, xdp_pass, sndbuf = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == '1', int(sys.argv[8])
d = open(src, 'rb').read(); frames = []; o = 0
while o + 4 <= len(d):
    n = struct.unpack('>I', d[o:o + 4])[0]; frames.append(d[o + 4:o + 4 + n]); o += 4 + n
if not frames: sys.exit('no frames')
macs = {}
for f in frames: macs[f[:6]] = macs.get(f[:6], 0) + 1
rx_mac = max(macs, key=macs.get); mtu = min(65535, max(1500, max(len(f) for f in frames) - 14))
tag = uuid.uuid4().hex[:6]; ns_s, ns_c, v_s, v_c = 'vnic_s_' + tag, 'vnic_c_' + tag, 'vks' + tag, 'vkc' + tag
def sh(*a): subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
RX = r'''
import os, select, socket, struct, sys, time
try: os.nice(-15)  # a busy machine that stalls the burst splits it across polls
except OSError: pass
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20); s.bind((sys.argv[1], 0))
out = sys.stdout.buffer; out.write(b'ready\n'); out.flush()
# read until the sender has finished (a line on stdin) and then nothing came for the settle time: a slow sender's
# pauses cannot end the answer early, and a fast one is not waited for
quiet = int(sys.argv[2]) / 1000; done = False; last = 0.0
while True:
    ready = select.select([s] if done else [s, sys.stdin], [], [], 0.01)[0]
    if s in ready:
        b, a = s.recvfrom(1 << 20)  # a BIG TCP packet may reach 512 KB
        if a[2] != socket.PACKET_OUTGOING: out.write(struct.pack('>I', len(b)) + b)
        last = time.monotonic()
    elif done:
        if time.monotonic() - last >= quiet: break
    elif sys.stdin in ready:
        sys.stdin.readline(); done = True; last = time.monotonic()
out.flush()
'''
TX = r'''
import os, socket, struct, sys, time
try: os.nice(-15)
except OSError: pass
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((sys.argv[1], 0))
# a frame sent before the link watcher activated the device's queue is dropped: wait for operstate up (5 s at most)
for _ in range(5000):
    if open('/sys/class/net/%s/operstate' % sys.argv[1]).read().strip() == 'up': break
    time.sleep(0.001)
if int(sys.argv[2]): s.setsockopt(socket.SOL_SOCKET, 32, int(sys.argv[2]))  # SO_SNDBUFFORCE
# 5 us a frame (40 per 200 us flush-timer period): unpaced, a fast machine queues more than the 64-frame budget
# before the timer's poll, and at HZ=250 that poll flushes every held packet
pace = 5e-6
d = sys.stdin.buffer.read(); o = 0; t = time.perf_counter()
while o + 4 <= len(d):
    n = struct.unpack('>I', d[o:o + 4])[0]; s.send(d[o + 4:o + 4 + n]); o += 4 + n
    t = max(t + pace, time.perf_counter())  # behind after a stall: go on at the pace, not in a catch-up burst
    while time.perf_counter() < t: pass
'''
SET_GRO_IPV4 = r'''
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); s.bind((0, 0))
body = struct.pack('=BxHiII', 0, 0, socket.if_nametoindex(sys.argv[1]), 0, 0) + struct.pack('=HHI', 8, 64, int(sys.argv[2]))
s.send(struct.pack('=IHHII', 16 + len(body), 16, 5, 1, 0) + body)
err = struct.unpack('=i', s.recv(4096)[16:20])[0]
if err: sys.exit('gro_ipv4_max_size %s: error %d' % (sys.argv[2], -err))
'''
# an XDP program of two instructions (r0 = XDP_PASS; exit), loaded with bpf(BPF_PROG_LOAD; 321 is x86-64's
# bpf syscall) and attached in native mode over rtnetlink (IFLA_XDP { IFLA_XDP_FD, IFLA_XDP_FLAGS = XDP_FLAGS_DRV_MODE })
XDP_PASS = r'''
import ctypes, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
insns = ctypes.create_string_buffer(bytes.fromhex('b700000002000000' '9500000000000000'))
lic = ctypes.create_string_buffer(b'GPL')
attr = ctypes.create_string_buffer(struct.pack('=IIQQIIQII16s', 6, 2, ctypes.addressof(insns), ctypes.addressof(lic), 0, 0, 0, 0, 0, b'vnic_pass'), 128)
fd = libc.syscall(321, 5, attr, 128)
if fd < 0: sys.exit('loading the XDP program failed: errno %d' % ctypes.get_errno())
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); s.bind((0, 0))
xdp = struct.pack('=HHi', 8, 1, fd) + struct.pack('=HHI', 8, 3, 4)
body = struct.pack('=BxHiII', 0, 0, socket.if_nametoindex(sys.argv[1]), 0, 0) + struct.pack('=HH', 4 + len(xdp), 43 | 0x8000) + xdp
s.send(struct.pack('=IHHII', 16 + len(body), 16, 5, 1, 0) + body)
err = struct.unpack('=i', s.recv(4096)[16:20])[0]
if err: sys.exit('attaching the XDP program: error %d' % -err)
'''
try:
    sh('ip', 'netns', 'add', ns_s); sh('ip', 'netns', 'add', ns_c)
    sh('ip', 'link', 'add', v_s, 'type', 'veth', 'peer', 'name', v_c)
    sh('ip', 'link', 'set', v_s, 'netns', ns_s); sh('ip', 'link', 'set', v_c, 'netns', ns_c)
    sh('ip', '-n', ns_s, 'link', 'set', v_s, 'address', ':'.join('%02x' % x for x in rx_mac))
    for ns, v in ((ns_s, v_s), (ns_c, v_c)):
        sh('ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.%s.disable_ipv6=1' % v)
        sh('ip', '-n', ns, 'link', 'set', v, 'mtu', str(mtu), 'up')
        sh('ip', 'netns', 'exec', ns, 'ethtool', '-K', v, 'gro', 'on', 'tso', 'off')
    sh('ip', '-n', ns_s, 'link', 'set', v_s, 'promisc', 'on')
    if gro_max: sh('ip', '-n', ns_s, 'link', 'set', v_s, 'gro_max_size', str(gro_max))
    # iproute2 before 6.3 has no gro_ipv4_max_size: set IFLA_GRO_IPV4_MAX_SIZE (64) over rtnetlink
    if gro_ipv4_max: sh('ip', 'netns', 'exec', ns_s, sys.executable, '-c', SET_GRO_IPV4, v_s, str(gro_ipv4_max))
    if xdp_pass: sh('ip', 'netns', 'exec', ns_s, sys.executable, '-c', XDP_PASS, v_s)
    sh('ip', 'netns', 'exec', ns_s, 'sh', '-c', 'echo %d > /sys/class/net/%s/gro_flush_timeout && echo 1 > /sys/class/net/%s/napi_defer_hard_irqs' % (flush_us * 1000, v_s, v_s))
    settle_ms = max(settle_ms, 3 * flush_us // 1000 + 50)
    rx = subprocess.Popen(['ip', 'netns', 'exec', ns_s, sys.executable, '-c', RX, v_s, str(settle_ms)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    rx.stdout.readline()
    tx = subprocess.Popen(['ip', 'netns', 'exec', ns_c, sys.executable, '-c', TX, v_c, str(sndbuf)], stdin=subprocess.PIPE)
    tx.communicate(b''.join(struct.pack('>I', len(f)) + f for f in frames))
    rx.stdin.write(b'sent\n'); rx.stdin.flush()
    data = rx.stdout.read(); rx.wait()
    open(dst, 'wb').write(data)
finally:
    for ns in (ns_s, ns_c): subprocess.run(['ip', 'netns', 'del', ns], stderr=subprocess.DEVNULL)
`;
