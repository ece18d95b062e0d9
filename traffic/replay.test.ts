import { capturePath } from '../test/captures.ts';
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { StreamHash } from '../wire/stream-hash.ts';
import { flowKey, flowName } from '../wire/flow.ts';
import { frame, FrameLayout, layoutFrame, fold, pseudoHeaderSum, sumBytes } from '../wire/index.ts';
import { CaptureWriter, parseCapture, readCapture } from '../tap/index.ts';
import { DirectTx, Link, FRAME_FLAG, type FrameSink } from './link.ts';
import { ReplaySource, StreamAssembler, captureExpectations } from './replay.ts';
import { replayFile, fileExpectations } from './replay-file.ts';
import { TrafficConfigError } from './config.ts';

const BULK = capturePath('bulk_mtu1500.tx.pcap');
const PAR4 = capturePath('parallel4_mtu1500.tx.pcap');

class Capture implements FrameSink {
  readonly lengths: number[] = [];
  readonly times: number[] = [];
  readonly flags: number[] = [];
  link: Link | undefined;
  receiveFrame(_f: Uint8Array, length: number, nowNs: number): void {
    this.lengths.push(length);
    this.times.push(nowNs);
    this.flags.push(this.link?.deliveringFlags ?? 0);
  }
}

describe('replay of real captures', () => {
  it('bulk_mtu1500 to 10.77.0.2: frame counts, filtered ACKs, one 2 MiB stream equal to the payloads tshark sees', () => {
    const clock = new VirtualClock();
    const cap = new Capture();
    const src = replayFile(clock, new DirectTx(clock, cap), BULK, { onlyTo: '10.77.0.2' });
    let done = false;
    src.onDone = () => {
      done = true;
    };
    src.start();
    clock.run();
    expect(done).toBe(true);
    // 1459 IPv4 frames to the receiver and the ARP request for it; 50 ACKs and the ARP reply filtered
    expect(src.stats).toEqual({
      records: 1511,
      sent: 1460,
      filteredOut: 51,
      extended: 0,
      unverifiable: 0,
      notEthernet: 0,
    });
    expect(cap.lengths.length).toBe(1460);
    const flows = src.expectedFlows();
    expect(flows.map((f) => [flowName(f.key), f.isn, f.bytes])).toEqual([
      ['10.77.0.1:57426>10.77.0.2:5001', 2313147364, 2097152],
    ]);
    // reference: tshark's tcp.payload of every segment placed by tcp.seq_raw, hashed in order
    expect(flows[0]!.digest).toBe('05947300701071c82d47de3272364005:2097152');
    const [note] = src.streamNotes();
    expect(note).toMatchObject({
      bytes: 2097152,
      bytesBeyondHole: 0,
      duplicateBytes: 0,
      bytesBeforeIsn: 0,
      segments: 1456,
    });
    expect(note!.holeAt).toBeUndefined();
    // the same without replaying
    expect(fileExpectations(BULK, '10.77.0.2').flows).toEqual(flows);
  });

  it('bulk_mtu1500 at recorded times (relative to the first record), and back to back at 10 Gb/s', () => {
    const clock = new VirtualClock();
    const cap = new Capture();
    clock.advanceTo(1000);
    replayFile(clock, new DirectTx(clock, cap), BULK, { timing: 'recorded' }).start();
    clock.run();
    expect(cap.times.slice(0, 4)).toEqual([1000, 1000 + 54523, 1000 + 61255, 1000 + 95028]);
    expect(cap.times[1510]).toBe(1000 + 210446836);

    const c2 = new VirtualClock();
    const cap2 = new Capture();
    const link = new Link(c2, cap2, 10);
    const src = replayFile(c2, link, BULK, { timing: 'asap', onlyTo: '5e:5f:51:9a:1d:1c' });
    src.start();
    c2.run();
    expect(src.stats.sent).toBe(1459); // the broadcast ARP request is not to that MAC
    expect(src.stats.filteredOut).toBe(52);
    expect(link.stats.maxQueued).toBeLessThanOrEqual(3);
    // first frame (the SYN, 74 bytes) arrives after 8 + 78 bytes at 0.8 ns; then 98 bytes of wire time per SYN-sized frame
    expect(cap2.times[0]).toBe(68.8);
    expect(c2.now).toBe(link.stats.wireBytes * 0.8 - 9.6);
  });

  it('parallel4_mtu1500 (snaplen 128): every cut frame rebuilt with payload that keeps its checksum valid, counted; four 512 KiB streams', () => {
    const clock = new VirtualClock();
    const cap = new Capture();
    const link = new Link(clock, cap, 10);
    cap.link = link;
    const src = replayFile(clock, link, PAR4, { timing: 'asap' });
    const seen: number[] = [];
    src.onExtended = (record) => {
      seen.push(record);
    };
    src.start();
    clock.run();
    expect(src.stats).toEqual({
      records: 1549,
      sent: 1549,
      filteredOut: 0,
      extended: 1455,
      unverifiable: 0,
      notEthernet: 0,
    });
    expect(src.extendedRecords.size).toBe(1455);
    expect(seen.length).toBe(1455);
    // the made-up payload keeps every captured TCP checksum valid: nothing is flagged unverifiable
    expect(link.uncheckableFrames.size).toBe(0);
    expect(cap.flags.filter((f) => f === FRAME_FLAG.CSUM_UNVERIFIABLE).length).toBe(0);
    // extended frames reach the NIC at their original length
    expect(cap.lengths.filter((l) => l === 1514).length).toBeGreaterThan(1400);
    const flows = src.expectedFlows();
    // in order of first appearance on the wire
    expect(flows.map((f) => [f.key.sport, f.isn, f.bytes])).toEqual([
      [46608, 2049564366, 524288],
      [46614, 2870871573, 524288],
      [46624, 1978274122, 524288],
      [46638, 3250923944, 524288],
    ]);
    // captured bytes by sequence, then zeros and one compensating word per segment (wire/cut-frame.ts): the word
    // restores the real payload's sum, so flows that carried the same bytes get the same made-up stream, as with zeros
    expect(flows.map((f) => f.digest)).toEqual([
      '885490a715c66df881f08a467315f3b7:524288',
      '885490a715c66df881f08a467315f3b7:524288',
      '7408d95861b1509d55fdf3c7799defee:524288',
      '885490a715c66df881f08a467315f3b7:524288',
    ]);
    const only = captureExpectations(readCapture(PAR4), '10.77.0.2');
    expect(only.flows).toEqual(flows);
    const c2 = new VirtualClock();
    const src2 = replayFile(c2, new DirectTx(c2, new Capture()), PAR4, { timing: 'asap', onlyTo: '10.77.0.2' });
    src2.start();
    expect(src2.stats).toEqual({
      records: 1549,
      sent: 1473,
      filteredOut: 76,
      extended: 1455,
      unverifiable: 0,
      notEthernet: 0,
    });
  });
});

describe('replay of a synthetic pcapng', () => {
  function capture(): Uint8Array {
    const w = CaptureWriter.toMemory({ format: 'pcapng', snaplen: 80, nanosecond: true });
    const seg = (seq: number, len: number, flags = 'A') =>
      frame()
        .ipv4({ src: '10.1.0.1', dst: '10.1.0.2' })
        .tcp({ sport: 1000, dport: 80, seq, flags })
        .payload(len)
        .build();
    w.write({ tsSec: 100, tsNsec: 0, data: seg(999, 0, 'S') });
    w.write({ tsSec: 100, tsNsec: 500, data: seg(1000, 100) });
    w.write({ tsSec: 100, tsNsec: 900, data: seg(1200, 100) }); // out of order
    w.write({ tsSec: 100, tsNsec: 1500, data: seg(1100, 100) }); // fills the gap
    w.write({ tsSec: 100, tsNsec: 2000, data: seg(1150, 100) }); // overlap
    w.write({ tsSec: 101, tsNsec: 0, data: seg(1400, 10) }); // beyond a hole at 1300
    w.close();
    return w.bytes();
  }

  it('replays at recorded times, extends cut frames, assembles by sequence and stops at a hole', () => {
    const clock = new VirtualClock();
    const cap = new Capture();
    const direct = new DirectTx(clock, cap);
    const src = new ReplaySource(clock, direct, parseCapture(capture(), 'synthetic.pcapng'));
    src.start();
    clock.run();
    expect([...direct.uncheckableFrames]).toEqual([]);
    expect(cap.times).toEqual([0, 500, 900, 1500, 2000, 1e9]);
    expect(cap.lengths).toEqual([54, 154, 154, 154, 154, 64]);
    expect(src.stats.extended).toBe(4);
    expect([...src.extendedRecords]).toEqual([1, 2, 3, 4]);
    const [e] = src.expectedFlows();
    expect(e!.isn).toBe(1000);
    expect(e!.bytes).toBe(300);
    // bytes 0..25 of each captured payload, then zeros but for the word at 26..27 that makes the captured TCP checksum hold
    const ref = new Uint8Array(300);
    for (const [k, base] of [0, 100, 200].entries()) {
      for (let i = 0; i < 26; i++) ref[base + i] = i;
      const seq = [1000, 1100, 1200][k]!;
      const whole = frame()
        .ipv4({ src: '10.1.0.1', dst: '10.1.0.2' })
        .tcp({ sport: 1000, dport: 80, seq, flags: 'A' })
        .payload(100)
        .build();
      const made = whole.slice();
      made.fill(0, 80);
      const L = layoutFrame(made, 0, made.length, new FrameLayout());
      const word =
        0xffff -
        fold(pseudoHeaderSum(made, L.srcOff, L.srcOff + 4, 6, L.ipEnd - L.l4) + sumBytes(made, L.l4, L.ipEnd - L.l4));
      ref[base + 26] = word >>> 8;
      ref[base + 27] = word & 0xff;
    }
    const h = new StreamHash();
    h.update(ref, 0, 300);
    expect(e!.digest).toBe(h.digest());
    expect(src.streamNotes()[0]).toMatchObject({ holeAt: 1300, bytesBeyondHole: 10, duplicateBytes: 100 });
  });

  it('rejects a bad onlyTo naming it', () => {
    const clock = new VirtualClock();
    expect(() => new ReplaySource(clock, new DirectTx(clock, new Capture()), [], { onlyTo: 'ten.0.0.1' })).toThrow(
      TrafficConfigError,
    );
    expect(() => new ReplaySource(clock, new DirectTx(clock, new Capture()), [], { onlyTo: 'ten.0.0.1' })).toThrow(
      /onlyTo: "ten\.0\.0\.1"/,
    );
  });
});

describe('StreamAssembler', () => {
  const key = flowKey('0.0.0.1', '0.0.0.2', 3, 4);
  const bytes = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

  it('handles retransmissions, overlaps, reordering and data before the ISN', () => {
    const a = new StreamAssembler(key);
    a.add(5000, false, bytes(0, 10), 0, 10); // sets the ISN
    a.add(5020, false, bytes(20, 10), 0, 10); // ahead
    a.add(5000, false, bytes(0, 10), 0, 10); // retransmission
    a.add(5005, false, bytes(5, 20), 0, 20); // overlaps both sides, fills the gap
    a.add(4990, false, bytes(-10 & 0xff, 15), 0, 15); // starts before the ISN
    const h = new StreamHash();
    h.update(bytes(0, 30), 0, 30);
    expect(a.expectation()).toEqual({ key, isn: 5000, bytes: 30, digest: h.digest() });
    expect(a.note()).toMatchObject({ bytesBeforeIsn: 10, duplicateBytes: 10 + 5 + 5 + 5, segments: 5 });
  });

  it('wraps sequence numbers past 2^32', () => {
    const a = new StreamAssembler(key);
    a.add(0xfffffffe, true, new Uint8Array(0), 0, 0); // SYN: data starts at 0xffffffff
    a.add(0xffffffff, false, bytes(0, 4), 0, 4);
    a.add(3, false, bytes(4, 4), 0, 4);
    expect(a.expectation().isn).toBe(0xffffffff);
    expect(a.expectation().bytes).toBe(8);
  });
});

describe("recorded timing in bursts (burstGapNs, the lab's --batch bursts)", () => {
  const at = (us: number[]) =>
    us.map((t, index) => ({
      index,
      offset: 0,
      tsSec: 7,
      tsNsec: t * 1000,
      data: new Uint8Array(60),
      origLen: 60,
      interfaceId: 0,
      linktype: 1,
    }));
  function arrivals(us: number[], config: object, room?: { entries: number; bufferBytes: number }): number[] {
    const clock = new VirtualClock();
    const cap = new Capture();
    new ReplaySource(clock, new DirectTx(clock, cap), at(us), { timing: 'recorded', ...config }, room).start();
    clock.run();
    return cap.times.map((t) => t / 1000);
  }
  const us = [0, 1, 2, 20, 21, 30, 31, 32, 33];
  it("frames less than the gap apart arrive together, at the burst's first frame's time", () => {
    expect(arrivals(us, {})).toEqual(us);
    expect(arrivals(us, { burstGapNs: 8000 })).toEqual([0, 0, 0, 20, 20, 30, 30, 30, 30]);
    // the gap is between neighbours: 9 µs apart starts a new burst, 1 µs steps never do
    expect(arrivals(us, { burstGapNs: 9000 })).toEqual([0, 0, 0, 20, 20, 30, 30, 30, 30]);
    expect(arrivals(us, { burstGapNs: 10_000 })).toEqual([0, 0, 0, 20, 20, 20, 20, 20, 20]);
  });
  it('a burst takes at most the ring room; the rest comes at its own times', () => {
    expect(arrivals(us, { burstGapNs: 8000 }, { entries: 3, bufferBytes: 2048 })).toEqual([
      0, 0, 0, 20, 20, 30, 30, 30, 33,
    ]);
  });
});
