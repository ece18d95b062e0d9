// Software receive-checksum verification for a NIC that verifies nothing (e1000's softwareChecksum
// option): the IPv4 header sum and the full TCP checksum over every byte of the segment, wherever
// the bytes sit (linear part, page fragments). One reusable object, so nothing is allocated per frame.
import { r16 } from '../../wire/bytes.ts';
import { ETH_P_8021Q, ETH_P_IP, type SkBuff } from '../../stack/skb.ts';
import { IPPROTO, IPV4, IPV4_FRAG, VLAN } from '../../wire/constants.ts';
import { fold, pseudoHeaderSum, sumBytes } from '../../wire/checksum.ts';
import { bytesSum } from '../../wire/byte-passes.ts';

/** What the verifier found: not a TCP/IPv4 segment it could check, good, or bad. */
export const CSUM_NONE = 0;
export const CSUM_GOOD = 1;
export const CSUM_BAD = 2;
export type CsumVerdict = typeof CSUM_NONE | typeof CSUM_GOOD | typeof CSUM_BAD;


export class TcpChecksumVerifier {
  /** Bytes summed by the last `verify` (what the driver charges as csum_byte); 0 when it did not check. */
  bytes = 0;
  private acc = 0;
  private pos = 0;
  /** forEachChunk visitor: a chunk that starts at an odd stream position adds its sum byte-swapped. */
  private readonly chunk = (mem: Uint8Array, start: number, n: number): void => {
    const c = fold(bytesSum(mem, start, n));                     // WebAssembly in DMA memory
    this.acc = fold(this.acc + ((this.pos & 1) !== 0 ? ((c & 0xff) << 8) | (c >>> 8) : c));
    this.pos += n;
  };

  /**
   * Verifies an skb after eth_type_trans (data at the network header, or at an in-band 802.1Q tag).
   * Only unfragmented TCP/IPv4 is checked; anything else is CSUM_NONE (the stack checks it itself).
   */
  verify(skb: SkBuff): CsumVerdict {
    this.bytes = 0;
    const b = skb.buf;
    let l3 = 0;                                                  // network header, relative to skb.data
    if (skb.protocol === ETH_P_8021Q) {
      if (skb.headLen < VLAN.HLEN + IPV4.HLEN || r16(b, skb.data + VLAN.TYPE - VLAN.TCI) !== ETH_P_IP) return CSUM_NONE;
      l3 = VLAN.HLEN;
    } else if (skb.protocol !== ETH_P_IP || skb.headLen < IPV4.HLEN) return CSUM_NONE;
    const iph = skb.data + l3;
    const ihl = (b[iph]! & 0x0f) * 4;
    const totLen = r16(b, iph + IPV4.TOT_LEN);
    if (b[iph]! >> 4 !== 4 || ihl < IPV4.HLEN || skb.headLen < l3 + ihl || b[iph + IPV4.PROTO] !== IPPROTO.TCP
      || (r16(b, iph + IPV4.FRAG) & (IPV4_FRAG.MF | IPV4_FRAG.OFFSET_MASK)) !== 0
      || totLen < ihl || l3 + totLen > skb.len) return CSUM_NONE;
    this.bytes = totLen;
    if (fold(sumBytes(b, iph, ihl)) !== 0xffff) return CSUM_BAD;
    this.acc = fold(pseudoHeaderSum(b, iph + IPV4.SRC, iph + IPV4.DST, IPPROTO.TCP, totLen - ihl));
    this.pos = 0;
    skb.forEachChunk(l3 + ihl, totLen - ihl, this.chunk);
    return fold(this.acc) === 0xffff ? CSUM_GOOD : CSUM_BAD;
  }
}
