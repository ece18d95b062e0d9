import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { StreamHash } from '../wire/stream-hash.ts';
import { flowKey, flowName } from '../wire/flow.ts';
import {
  decodeFrame,
  isWireError,
  sumBytes,
  fold,
  pseudoHeaderSum,
  IPPROTO,
  type DecodedFrame,
} from '../wire/index.ts';
import { DirectTx, Link, type FrameSink, type FrameTx } from './link.ts';
import { Impairments } from './impair.ts';
import { LinkPartner, createLinkPartner } from './partner.ts';
import { TrafficConfigError, parseTrafficConfig, type TrafficConfigInput } from './config.ts';
import { FakeReceiver } from '../test/support/fake-receiver.ts';

class Capture implements FrameSink {
  readonly frames: Uint8Array[] = [];
  readonly times: number[] = [];
  receiveFrame(frame: Uint8Array, length: number, nowNs: number): void {
    this.frames.push(frame.slice(0, length));
    this.times.push(nowNs);
  }
}

function decode(f: Uint8Array): DecodedFrame {
  const d = decodeFrame(f);
  if (isWireError(d)) throw d;
  return d;
}

function checksumsValid(f: Uint8Array, d: DecodedFrame): { ip: boolean; l4: boolean } {
  const l3 = d.l3Offset;
  const ihl = d.ipv4!.ihl * 4;
  const ip = fold(sumBytes(f, l3, ihl)) === 0xffff;
  const l4Len = d.ipv4!.totalLength - ihl;
  const pseudo = d.ipv4!.protocol === IPPROTO.ICMP ? 0 : pseudoHeaderSum(f, l3 + 12, l3 + 16, d.ipv4!.protocol, l4Len); // ICMP has none
  const l4 = fold(sumBytes(f, d.l4Offset!, l4Len, pseudo)) === 0xffff;
  return { ip, l4 };
}

function runOpenLoop(config: TrafficConfigInput): { cap: Capture; partner: LinkPartner; clock: VirtualClock } {
  const clock = new VirtualClock();
  const cap = new Capture();
  const partner = new LinkPartner(clock, new DirectTx(clock, cap), { openLoop: true, ...config });
  partner.start();
  clock.run();
  return { cap, partner, clock };
}

const bulk = (extra: Record<string, unknown> = {}) => ({
  kind: 'bulk' as const,
  isn: 1000,
  mss: 1448,
  tsvalStart: 500,
  tsecr: 777,
  psh: { burst: 4 },
  ipIdStart: 100,
  ...extra,
});

describe('bulk flow segments', () => {
  it('produces exactly the expected segments: seq, lengths, PSH at burst ends, IP IDs, TS option, checksums', () => {
    const { cap, partner } = runOpenLoop({
      flows: [bulk({ bytes: 10 * 1448 + 100, vlan: { vid: 5, pcp: 3 }, tos: 0x02 })],
    });
    expect(cap.frames.length).toBe(11);
    const payloads: Uint8Array[] = [];
    cap.frames.forEach((f, i) => {
      const d = decode(f);
      expect(d.vlans).toEqual([{ tpid: 0x8100, vid: 5, pcp: 3, dei: false }]);
      expect(d.eth.src).toBe('02:00:00:00:00:01');
      expect(d.eth.dst).toBe('02:00:00:00:00:02');
      const ip = d.ipv4!,
        tcp = d.tcp!;
      expect([ip.src, ip.dst, ip.id, ip.df, ip.tos, ip.ttl, ip.protocol]).toEqual([
        '10.0.0.1',
        '10.0.0.2',
        100 + i,
        true,
        2,
        64,
        IPPROTO.TCP,
      ]);
      expect([tcp.sport, tcp.dport, tcp.seq, tcp.ack, tcp.window, tcp.dataOffset]).toEqual([
        40000,
        5001,
        1000 + i * 1448,
        1,
        65535,
        8,
      ]);
      const psh = i === 3 || i === 7 || i === 10;
      expect(tcp.flags).toBe(psh ? 0x18 : 0x10);
      expect(tcp.options).toEqual([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: 500, tsecr: 777 }]);
      expect(d.payloadLength).toBe(i < 10 ? 1448 : 100);
      expect(f.length).toBe(18 + 20 + 32 + d.payloadLength);
      expect(checksumsValid(f, d)).toEqual({ ip: true, l4: true });
      payloads.push(f.slice(d.payloadOffset, d.payloadOffset + d.payloadLength));
    });
    const h = new StreamHash();
    for (const p of payloads) h.update(p, 0, p.length);
    expect(partner.expectedFlows()).toEqual([
      {
        key: flowKey('10.0.0.1', '10.0.0.2', 40000, 5001),
        isn: 1000,
        bytes: 14580,
        digest: h.digest(),
      },
    ]);
  });

  it('PSH every N, never; IP ID fixed 0 with DF or random; no timestamps', () => {
    const every = runOpenLoop({
      flows: [bulk({ bytes: 7 * 100, mss: 100, psh: { every: 3 }, ipId: 'zero', df: false })],
    });
    const flags = every.cap.frames.map((f) => decode(f).tcp!.flags);
    expect(flags).toEqual([0x10, 0x10, 0x18, 0x10, 0x10, 0x18, 0x10]);
    expect(every.cap.frames.map((f) => decode(f).ipv4!.id)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(every.cap.frames.every((f) => decode(f).ipv4!.df)).toBe(true);
    const never = runOpenLoop({
      flows: [bulk({ bytes: 250, mss: 100, psh: 'never', ipId: 'random', timestamps: false })],
    });
    const d = never.cap.frames.map(decode);
    expect(d.map((x) => x.tcp!.flags)).toEqual([0x10, 0x10, 0x10]);
    expect(d.map((x) => x.tcp!.options)).toEqual([[], [], []]);
    expect(d.map((x) => x.tcp!.dataOffset)).toEqual([5, 5, 5]);
    const ids = d.map((x) => x.ipv4!.id);
    expect(new Set(ids).size).toBe(3);
    const again = runOpenLoop({
      flows: [bulk({ bytes: 250, mss: 100, psh: 'never', ipId: 'random', timestamps: false })],
    });
    expect(again.cap.frames.map((f) => decode(f).ipv4!.id)).toEqual(ids);
  });

  it('TSval advances with virtual time (one per tsTickNs) at line rate', () => {
    const clock = new VirtualClock();
    const cap = new Capture();
    const { partner } = createLinkPartner(clock, cap, {
      openLoop: true,
      rateGbps: 1,
      flows: [bulk({ bytes: 20 * 1448, tsTickNs: 50_000 })],
    });
    partner.start();
    clock.run();
    // each 1514-byte frame takes 12304 ns at 1 Gb/s; a segment is built when the previous-but-one leaves
    const tsvals = cap.frames.map((f) => (decode(f).tcp!.options[2] as { tsval: number }).tsval);
    expect(tsvals[0]).toBe(500);
    expect(tsvals[19]).toBe(500 + Math.floor((17 * 12304) / 50_000));
    expect(cap.times[19]).toBe(19 * 12304 + 12208);
  });

  it('is deterministic: same seed → identical bytes; another seed → other payload and ISN', () => {
    const cfg = { seed: 42, flows: [{ kind: 'bulk' as const, bytes: 5000, count: 2 }] };
    const a = runOpenLoop(cfg).cap.frames;
    const b = runOpenLoop(cfg).cap.frames;
    expect(b).toEqual(a);
    const c = runOpenLoop({ ...cfg, seed: 43 }).cap.frames;
    expect(c.length).toBe(a.length);
    const da = decode(a[0]!),
      dc = decode(c[0]!);
    expect(dc.tcp!.seq).not.toBe(da.tcp!.seq);
    expect(c[0]!.slice(dc.payloadOffset)).not.toEqual(a[0]!.slice(da.payloadOffset));
    // two flows interleave round robin, with consecutive source ports
    expect(a.slice(0, 4).map((f) => decode(f).tcp!.sport)).toEqual([40000, 40001, 40000, 40001]);
  });

  it("expectedFlows digest equals the StreamHash over each flow's payloads, even before sending", () => {
    const clock = new VirtualClock();
    const cap = new Capture();
    const partner = new LinkPartner(clock, new DirectTx(clock, cap), {
      openLoop: true,
      seed: 9,
      flows: [{ kind: 'bulk', bytes: 30001, count: 3, mss: 1000 }],
    });
    const before = partner.expectedFlows();
    partner.start();
    clock.run();
    const hashes = new Map<number, StreamHash>();
    for (const f of cap.frames) {
      const d = decode(f);
      let h = hashes.get(d.tcp!.sport);
      if (!h) {
        h = new StreamHash();
        hashes.set(d.tcp!.sport, h);
      }
      h.update(f, d.payloadOffset, d.payloadLength);
    }
    const after = partner.expectedFlows();
    expect(after).toEqual(before);
    expect(after.map((e) => e.digest)).toEqual([40000, 40001, 40002].map((p) => hashes.get(p)!.digest()));
    expect(after.map((e) => e.bytes)).toEqual([30001, 30001, 30001]);
    expect(after.map((e) => flowName(e.key))).toEqual([
      '10.0.0.1:40000>10.0.0.2:5001',
      '10.0.0.1:40001>10.0.0.2:5001',
      '10.0.0.1:40002>10.0.0.2:5001',
    ]);
  });

  it('a duration-limited open-loop flow stops writing at durationNs', () => {
    const clock = new VirtualClock();
    const cap = new Capture();
    const { partner } = createLinkPartner(clock, cap, {
      openLoop: true,
      rateGbps: 10,
      durationNs: 100_000,
      flows: [{ kind: 'bulk' }],
    });
    partner.start();
    clock.run();
    const [e] = partner.expectedFlows();
    const sent = cap.frames.reduce((n, f) => n + decode(f).payloadLength, 0);
    expect(e!.bytes).toBe(sent);
    expect(cap.frames.length).toBe(Math.ceil(100_000 / 1230.4) + 1); // the frames queued when the duration ended go out too
    expect(partner.allSent()).toBe(true);
  });
});

describe('message, request/response and background traffic', () => {
  it('messages: one PSH segment per message, think time between them', () => {
    const clock = new VirtualClock();
    const cap = new Capture();
    const { partner } = createLinkPartner(clock, cap, {
      openLoop: true,
      rateGbps: 10,
      flows: [{ kind: 'messages', messageBytes: 200, messages: 4, thinkNs: 10_000 }],
    });
    partner.start();
    clock.run();
    expect(cap.frames.map((f) => [decode(f).payloadLength, decode(f).tcp!.flags])).toEqual([
      [200, 0x18],
      [200, 0x18],
      [200, 0x18],
      [200, 0x18],
    ]);
    const wire = (14 + 20 + 32 + 200 + 4 + 8) * 0.8; // arrival after preamble+frame+FCS
    expect(cap.times).toEqual([0, 10_000, 20_000, 30_000].map((t) => t + wire));
  });

  it('rr: a request waits for the ACK covering the previous one', () => {
    const clock = new VirtualClock();
    const rx = new FakeReceiver(clock, { ackDelayNs: 5_000 });
    const { partner } = createLinkPartner(clock, rx, {
      rateGbps: 10,
      flows: [{ kind: 'rr', requestBytes: 3000, requests: 3, mss: 1448 }],
    });
    rx.partner = partner;
    partner.start();
    clock.run();
    const lens = rx.segments.map((s) => [s.len, s.psh]);
    expect(lens).toEqual([
      [1448, false],
      [1448, false],
      [104, true],
      [1448, false],
      [1448, false],
      [104, true],
      [1448, false],
      [1448, false],
      [104, true],
    ]);
    // the 4th segment left only after the ACK of the 3rd arrived (5 µs later)
    expect(rx.segments[3]!.t - rx.segments[2]!.t).toBeGreaterThan(5_000);
    expect(partner.allAcked()).toBe(true);
    expect(rx.check(partner.expectedFlows())).toEqual([true]);
  });

  it('background frames interleave at the configured share (UDP, ARP, ICMP) with valid checksums', () => {
    const { cap, partner } = runOpenLoop({
      flows: [
        { kind: 'bulk', bytes: 300 * 1448 },
        { kind: 'background', share: 0.25 },
      ],
    });
    expect(partner.stats.tcpSegments).toBe(300);
    expect(partner.stats.udpFrames + partner.stats.arpFrames + partner.stats.icmpFrames).toBe(100);
    expect(partner.stats).toMatchObject({ udpFrames: 38, arpFrames: 25, icmpFrames: 37, framesSent: 400 });
    let udp = 0,
      arp = 0,
      icmp = 0;
    for (const f of cap.frames) {
      const d = decode(f);
      if (d.arp) {
        arp++;
        expect(d.arp.targetIp).toBe('10.0.0.2');
        expect(d.eth.dst).toBe('ff:ff:ff:ff:ff:ff');
        continue;
      }
      if (d.udp) udp++;
      else if (d.ipv4!.protocol === IPPROTO.ICMP) {
        icmp++;
        expect(f[d.l4Offset!]).toBe(8);
      } else continue;
      expect(checksumsValid(f, d)).toEqual({ ip: true, l4: true });
    }
    expect([udp, arp, icmp]).toEqual([38, 25, 37]);
  });
});

describe('closed loop with a receiver', () => {
  it('without impairments: every flow delivered, window-limited, ACKs counted, TSecr echoes the host', () => {
    const clock = new VirtualClock();
    const rx = new FakeReceiver(clock, { ackDelayNs: 20_000, tsval: 4242 });
    const { partner, link } = createLinkPartner(clock, rx, {
      seed: 3,
      rateGbps: 10,
      flows: [{ kind: 'bulk', bytes: 200_000, count: 2, sendWindow: 8192 }],
    });
    rx.partner = partner;
    let doneAt = -1;
    partner.onAllAcked = () => {
      doneAt = clock.now;
    };
    partner.start();
    clock.run();
    expect(partner.allAcked()).toBe(true);
    expect(doneAt).toBeGreaterThan(0);
    expect(rx.check(partner.expectedFlows())).toEqual([true, true]);
    const reports = partner.flowReports();
    expect(reports.map((r) => [r.retransmits, r.timeouts, r.ackedBytes, r.bytes])).toEqual([
      [0, 0, 200_000, 200_000],
      [0, 0, 200_000, 200_000],
    ]);
    expect(reports[0]!.acksReceived).toBe(rx.acksSentTo(40000));
    expect(reports[0]!.windowLimited).toBeGreaterThan(0);
    // two 8 KiB windows with a 20 µs ACK delay cannot fill 10 Gb/s: the flows took longer than line rate
    expect(doneAt).toBeGreaterThan(link.stats.wireBytes * 0.8);
    // the TSecr of late segments echoes the receiver's TSval
    expect(rx.lastTsecr).toBe(4242);
  });

  it('honours the window the host advertises', () => {
    const clock = new VirtualClock();
    const rx = new FakeReceiver(clock, { ackDelayNs: 10_000, window: 2896 });
    const { partner } = createLinkPartner(clock, rx, {
      rateGbps: 10,
      flows: [{ kind: 'bulk', bytes: 20 * 1448, sendWindow: 65536 }],
    });
    rx.partner = partner;
    partner.start();
    clock.run();
    expect(rx.maxInFlight).toBe(9 * 1448); // before the first ACK (11.2 µs) the partner only knows its own window
    expect(rx.maxInFlightAfterFirstAck).toBe(2896);
    expect(rx.check(partner.expectedFlows())).toEqual([true]);
  });

  it('a duration-limited closed-loop flow ends its stream at what was sent by durationNs, then gets it all acknowledged', () => {
    const clock = new VirtualClock();
    const rx = new FakeReceiver(clock, { ackDelayNs: 3_000 });
    const { partner } = createLinkPartner(clock, rx, {
      rateGbps: 10,
      durationNs: 50_000,
      impairments: { loss: 0.05 },
      flows: [
        { kind: 'bulk', count: 2, vlan: { vid: 7 } },
        { kind: 'messages', sport: 41000, messageBytes: 100, thinkNs: 4_000 },
      ],
    });
    rx.partner = partner;
    partner.start();
    clock.run(1e9);
    expect(partner.allAcked()).toBe(true);
    const exp = partner.expectedFlows();
    // a message is written thinkNs after the previous one was handed to the link, which it shares with two bulk flows
    expect(exp[2]!.bytes).toBe(1000);
    expect(exp[0]!.bytes).toBeGreaterThan(10 * 1448);
    expect(rx.check(exp)).toEqual([true, true, true]);
    expect(partner.flowReports().map((r) => r.ackedBytes)).toEqual(exp.map((e) => e.bytes));
  });

  it('a bad config names the field, the value and what is allowed', () => {
    expect(() => parseTrafficConfig({ flows: [{ kind: 'bulk', mss: 70000, bytes: 10 }] })).toThrow(TrafficConfigError);
    expect(() => parseTrafficConfig({ flows: [{ kind: 'bulk', mss: 70000, bytes: 10 }] })).toThrow(
      /flows\[0\]\.mss: 70000 — Too big: expected number to be <=9000/,
    );
    expect(() => parseTrafficConfig({ flows: [{ kind: 'bulk', src: '10.0.0.300', bytes: 1 }] })).toThrow(
      /flows\[0\]\.src: "10\.0\.0\.300" — expected an IPv4 address like 10\.0\.0\.1 or an IPv6 address/,
    );
    expect(() => parseTrafficConfig({ flows: [{ kind: 'bulk', dst: '2001:db8::2', bytes: 1 }] })).toThrow(
      /flows\[0\]\.dst: "2001:db8::2" — expected an IPv4 address like 10\.0\.0\.1: the flow goes over IPv4/,
    );
    expect(() => parseTrafficConfig({ ipv6: true, flows: [{ kind: 'bulk', src: '10.0.0.1', bytes: 1 }] })).toThrow(
      /flows\[0\]\.src: "10\.0\.0\.1" — expected an IPv6 address like 2001:db8::1: the flow goes over IPv6/,
    );
    expect(() => parseTrafficConfig({ ipv6: 'yes', flows: [{ kind: 'bulk', bytes: 1 }] })).toThrow(
      /ipv6: "yes" — Invalid input: expected boolean/,
    );
    expect(() => parseTrafficConfig({ flows: [{ kind: 'bulk' }] })).toThrow(
      /flows\[0\]\.bytes: missing — a bulk flow needs bytes/,
    );
    expect(() => parseTrafficConfig({ flows: [{ kind: 'messages', messageBytes: 2000, messages: 1 }] })).toThrow(
      /flows\[0\]\.messageBytes: 2000 — messageBytes must not exceed mss/,
    );
    expect(() => parseTrafficConfig({ flows: [], rateGbps: -1 })).toThrow(/rateGbps: -1 — Too small/);
    expect(() => parseTrafficConfig({ flows: [{ kind: 'bulk', bytes: 1, psh: 'sometimes' }] })).toThrow(
      /flows\[0\]\.psh: "sometimes"/,
    );
  });
});

/** Records every frame the partner hands to the transmit path (before impairments), then passes it on. */
class TxRecorder implements FrameTx {
  readonly frames: Uint8Array[] = [];
  constructor(private readonly next: FrameTx) {}
  transmit(frame: Uint8Array, length: number, flags?: number): void {
    this.frames.push(frame.slice(0, length));
    this.next.transmit(frame, length, flags);
  }
  backlog(): number {
    return this.next.backlog();
  }
  addReadyListener(fn: () => void): void {
    this.next.addReadyListener(fn);
  }
}

describe('payload bytes', () => {
  it('a retransmitted segment carries the same bytes as the first copy (fast retransmit and timeouts)', () => {
    const clock = new VirtualClock();
    const rx = new FakeReceiver(clock, { ackDelayNs: 5_000 });
    const link = new Link(clock, rx, 10);
    const recorder = new TxRecorder(new Impairments(link, { loss: 0.05 }, clock, 5));
    const partner = new LinkPartner(clock, recorder, {
      seed: 5,
      rtoNs: 200_000,
      flows: [{ kind: 'bulk', bytes: 300_000, count: 2, mss: 1000 }],
    });
    rx.partner = partner;
    partner.start();
    clock.run(1e9);
    expect(partner.allAcked()).toBe(true);
    expect(rx.check(partner.expectedFlows())).toEqual([true, true]);
    const first = new Map<string, Uint8Array>();
    let repeats = 0,
      differing = 0;
    for (const f of recorder.frames) {
      const d = decode(f);
      const k = `${d.tcp!.sport}/${d.tcp!.seq}/${d.payloadLength}`;
      const payload = f.slice(d.payloadOffset, d.payloadOffset + d.payloadLength);
      const seen = first.get(k);
      if (seen === undefined) {
        first.set(k, payload);
        continue;
      }
      repeats++;
      if (!payload.every((b, i) => b === seen[i])) differing++;
    }
    const reports = partner.flowReports();
    const sum = (k: 'fastRetransmits' | 'timeouts') => reports.reduce((n, r) => n + r[k], 0);
    expect([sum('fastRetransmits') > 0, sum('timeouts') > 0]).toEqual([true, true]);
    expect(repeats).toBe(reports[0]!.retransmits + reports[1]!.retransmits);
    expect(differing).toBe(0);
  });

  it('flows of one run carry different bytes at the same stream offset', () => {
    const { cap } = runOpenLoop({ seed: 11, flows: [bulk({ bytes: 4 * 1448, count: 200 })] });
    const firstPayload = new Map<number, string>();
    for (const f of cap.frames) {
      const d = decode(f);
      if (d.tcp!.seq !== 1000) continue; // offset 0 of each flow (all flows share isn 1000)
      firstPayload.set(d.tcp!.sport, Array.from(f.subarray(d.payloadOffset, d.payloadOffset + 16)).join(','));
    }
    expect(firstPayload.size).toBe(200);
    expect(new Set(firstPayload.values()).size).toBe(200);
  });

  it('odd MSS, no timestamps, VLAN, random IP IDs: every checksum valid across the pattern period, digests equal the bytes sent', () => {
    const { cap, partner } = runOpenLoop({
      seed: 21,
      flows: [bulk({ bytes: 150_001, count: 3, mss: 1001, timestamps: false, vlan: { vid: 9 }, ipId: 'random' })],
    });
    const hashes = new Map<number, StreamHash>();
    const parities = new Set<number>();
    for (const f of cap.frames) {
      const d = decode(f);
      expect(checksumsValid(f, d)).toEqual({ ip: true, l4: true });
      let h = hashes.get(d.tcp!.sport);
      if (!h) {
        h = new StreamHash();
        hashes.set(d.tcp!.sport, h);
      }
      h.update(f, d.payloadOffset, d.payloadLength);
      parities.add(d.payloadLength & 1);
    }
    expect(cap.frames.length).toBe(3 * 150);
    expect(parities).toEqual(new Set([0, 1]));
    expect(partner.expectedFlows().map((e) => e.digest)).toEqual(
      [40000, 40001, 40002].map((p) => hashes.get(p)!.digest()),
    );
  });
});
