// A stand-in host for traffic/ tests: checks each frame's IP and TCP checksums (dropping bad or cut
// frames as a stack would), reassembles every flow by sequence number, and answers each data segment
// with a cumulative ACK to the link partner after a fixed delay. Allocates freely: tests only.

import type { VirtualClock } from '../../sim/clock.ts';
import { StreamHash } from '../../wire/stream-hash.ts';
import type { FlowExpectation } from '../../sim/flows.ts';
import { decodeFrame, isWireError, sumBytes, fold, pseudoHeaderSum, frame, IPPROTO } from '../../wire/index.ts';
import type { FrameSink } from '../../traffic/link.ts';
import type { LinkPartner } from '../../traffic/partner.ts';

interface RxFlow {
  isn: number;
  next: number;
  ooo: Map<number, Uint8Array>;
  hash: StreamHash;
  acks: number;
  acked: number;
}

export interface FakeReceiverOptions {
  ackDelayNs?: number;
  window?: number;
  tsval?: number;
}

export class FakeReceiver implements FrameSink {
  partner: LinkPartner | undefined;
  readonly segments: { t: number; sport: number; seq: number; len: number; psh: boolean }[] = [];
  readonly flows = new Map<number, RxFlow>();
  dropped = 0;
  nonTcp = 0;
  lastTsecr = -1;
  maxInFlight = 0;
  maxInFlightAfterFirstAck = 0;
  private firstAckAt = -1;
  private readonly ackDelayNs: number;
  private readonly window: number;
  private readonly tsval: number;

  constructor(
    private readonly clock: VirtualClock,
    opts: FakeReceiverOptions = {},
  ) {
    this.ackDelayNs = opts.ackDelayNs ?? 10_000;
    this.window = opts.window ?? 65535;
    this.tsval = opts.tsval ?? 7;
  }

  receiveFrame(f: Uint8Array, length: number, nowNs: number): void {
    const d = decodeFrame(f, length);
    if (isWireError(d) || d.ipv4 === undefined) {
      if (isWireError(d)) this.dropped++;
      else this.nonTcp++;
      return;
    }
    const ip = d.ipv4;
    const l3 = d.l3Offset;
    if (l3 + ip.totalLength > length || fold(sumBytes(f, l3, ip.ihl * 4)) !== 0xffff) {
      this.dropped++;
      return;
    }
    if (d.tcp === undefined) {
      this.nonTcp++;
      return;
    }
    const l4Len = ip.totalLength - ip.ihl * 4;
    if (fold(sumBytes(f, d.l4Offset!, l4Len, pseudoHeaderSum(f, l3 + 12, l3 + 16, IPPROTO.TCP, l4Len))) !== 0xffff) {
      this.dropped++;
      return;
    }
    const tcp = d.tcp;
    const len = d.payloadLength;
    this.segments.push({ t: nowNs, sport: tcp.sport, seq: tcp.seq, len, psh: (tcp.flags & 8) !== 0 });
    const ts = tcp.options.find((o) => o.kind === 'timestamp');
    if (ts !== undefined && ts.kind === 'timestamp') this.lastTsecr = ts.tsecr;
    let fl = this.flows.get(tcp.sport);
    if (fl === undefined) {
      const rep = this.partner?.flowReports().find((r) => r.key.sport === tcp.sport);
      fl = { isn: rep?.isn ?? tcp.seq, next: 0, ooo: new Map(), hash: new StreamHash(), acks: 0, acked: 0 };
      this.flows.set(tcp.sport, fl);
    }
    const rel = (tcp.seq - fl.isn) | 0;
    const inFlight = rel + len - fl.acked;
    if (inFlight > this.maxInFlight) this.maxInFlight = inFlight;
    if (this.firstAckAt >= 0 && nowNs > this.firstAckAt + 3000 && inFlight > this.maxInFlightAfterFirstAck)
      this.maxInFlightAfterFirstAck = inFlight;
    if (len > 0) {
      if (rel > fl.next) {
        if (!fl.ooo.has(rel)) fl.ooo.set(rel, f.slice(d.payloadOffset, d.payloadOffset + len));
      } else if (rel + len > fl.next) {
        fl.hash.update(f, d.payloadOffset + (fl.next - rel), rel + len - fl.next);
        fl.next = rel + len;
        for (let again = true; again; ) {
          again = false;
          for (const [r, data] of fl.ooo) {
            if (r > fl.next) continue;
            fl.ooo.delete(r);
            if (r + data.length > fl.next) {
              fl.hash.update(data, fl.next - r, r + data.length - fl.next);
              fl.next = r + data.length;
            }
            again = true;
          }
        }
      }
    }
    const ackSeq = (fl.isn + fl.next) >>> 0;
    const tsecr = ts !== undefined && ts.kind === 'timestamp' ? ts.tsval : 0;
    const ack = frame()
      .eth({ src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' })
      .ipv4({ src: ip.dst, dst: ip.src })
      .tcp({
        sport: tcp.dport,
        dport: tcp.sport,
        seq: 1,
        ack: ackSeq,
        flags: 'A',
        window: this.window,
        ts: [this.tsval, tsecr],
      })
      .build();
    const flow = fl;
    const next = fl.next;
    this.clock.after(this.ackDelayNs, () => {
      if (this.firstAckAt < 0) this.firstAckAt = this.clock.now;
      flow.acks++;
      if (next > flow.acked) flow.acked = next;
      this.partner?.receiveFromHost(ack, ack.length, this.clock.now);
    });
  }

  acksSentTo(sport: number): number {
    return this.flows.get(sport)?.acks ?? 0;
  }

  /** Per expectation: did this receiver get exactly that byte stream? */
  check(expected: FlowExpectation[]): boolean[] {
    return expected.map((e) => {
      const fl = this.flows.get(e.key.sport);
      return fl !== undefined && fl.isn === e.isn && fl.hash.digest() === e.digest;
    });
  }

  describe(): string {
    return (
      [...this.flows].map(([p, f]) => `${p}: ${f.hash.digest()} ooo=${f.ooo.size}`).join(', ') +
      ` dropped=${this.dropped}`
    );
  }
}
