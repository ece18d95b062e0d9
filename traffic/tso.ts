// The link partner's TSO NIC: the sending stack hands it one super-segment (Ethernet/IPv4 or IPv6/TCP headers
// and up to 64 KB of payload) and it puts MSS-sized frames on the wire, back to back, as a TSO NIC
// does: each frame has the super-segment's headers with the sequence number advanced, the IP total
// length (IPv6: payload length) set, the IPv4 ID counting up from the super-segment's (unless it is 0 with DF), PSH and FIN
// only on the last frame, every other option (the timestamps) copied unchanged, and both checksums
// computed over the frame. LRO is the receive-side mirror of this: it glues such trains back together.
import { IPV4, IPV6, TCP, TCP_FLAG, IPPROTO, sumBytes, finish } from '../wire/index.ts';
import { r16, r32, w16, w32 } from '../wire/index.ts';
import { fillIpv4HeaderChecksum, ipVersionAt, ipv4DontFragment, tcpHeaderLength } from '../wire/fields.ts';
import { ipPseudoHeaderSum } from '../wire/l4checksum.ts';

/** The largest super-segment a TSO NIC accepts: the IP total length field's limit. */
export const TSO_MAX_BYTES = 65535;

export interface TsoStats {
  /** Super-segments handed to the NIC. */
  superSegments: number;
  /** Frames cut from them. */
  frames: number;
}

export type FrameEmit = (frame: Uint8Array, length: number) => void;

export class TsoNic {
  readonly stats: TsoStats = { superSegments: 0, frames: 0 };
  /** One frame's buffer, reused; views of it by exact length, made once per length. */
  private readonly buf: Uint8Array;
  private readonly views: (Uint8Array | undefined)[] = [];

  constructor(
    maxFrame: number,
    private readonly emit: FrameEmit,
  ) {
    this.buf = new Uint8Array(maxFrame);
  }

  /**
   * Cuts the super-segment in `sup` (headers `[0, l4 + TCP header)`, then `payloadLen` bytes) into
   * frames of at most `mss` payload bytes and emits each. `l3`/`l4` are the IP and TCP header offsets.
   */
  transmit(sup: Uint8Array, l3: number, l4: number, payloadLen: number, mss: number): void {
    const hdrLen = l4 + tcpHeaderLength(sup, l4);
    if (hdrLen + mss > this.buf.length)
      throw new Error(`TSO: a ${hdrLen}-byte header and MSS ${mss} do not fit a ${this.buf.length}-byte frame`);
    if (hdrLen - l3 + payloadLen > TSO_MAX_BYTES)
      throw new Error(`TSO: a super-segment of ${payloadLen} payload bytes passes the 64 KB limit`);
    this.stats.superSegments++;
    const f = this.buf;
    f.set(sup.subarray(0, hdrLen));
    const seq0 = r32(sup, l4 + TCP.SEQ);
    const version = ipVersionAt(sup, l3),
      v6 = version === 6;
    const id0 = v6 ? 0 : r16(sup, l3 + IPV4.ID);
    const keepIdZero = id0 === 0 && ipv4DontFragment(sup, l3);
    const flags = sup[l4 + TCP.FLAGS]!;
    const lastOnly = TCP_FLAG.PSH | TCP_FLAG.FIN;
    let i = 0;
    for (let done = 0; done < payloadLen; done += mss, i++) {
      const len = Math.min(mss, payloadLen - done);
      const last = done + len === payloadLen;
      f.set(sup.subarray(hdrLen + done, hdrLen + done + len), hdrLen);
      if (v6) w16(f, l3 + IPV6.PAYLOAD_LEN, hdrLen - l3 - IPV6.HLEN + len);
      else {
        w16(f, l3 + IPV4.TOT_LEN, hdrLen - l3 + len);
        w16(f, l3 + IPV4.ID, keepIdZero ? 0 : (id0 + i) & 0xffff);
        fillIpv4HeaderChecksum(f, l3);
      }
      w32(f, l4 + TCP.SEQ, (seq0 + done) >>> 0);
      f[l4 + TCP.FLAGS] = last ? flags : flags & ~lastOnly;
      w16(f, l4 + TCP.CSUM, 0);
      const l4Len = hdrLen - l4 + len;
      w16(f, l4 + TCP.CSUM, finish(sumBytes(f, l4, l4Len, ipPseudoHeaderSum(f, l3, version, IPPROTO.TCP, l4Len))));
      const n = hdrLen + len;
      let view = this.views[n];
      if (view === undefined) {
        view = f.subarray(0, n);
        this.views[n] = view;
      }
      this.stats.frames++;
      this.emit(view, n);
    }
  }

  /** Frames a super-segment of `payloadLen` bytes becomes. */
  static framesFor(payloadLen: number, mss: number): number {
    return Math.ceil(payloadLen / mss);
  }
}
