// Software receive-checksum verification for a NIC that verifies nothing (e1000's softwareChecksum
// option): the IPv4 header sum and the full TCP checksum, over IPv4 or IPv6, over every byte of the
// segment wherever the bytes sit (linear part, page fragments). The headers are read through wire's
// layout (stack/packet-layout.ts); one reusable object, so nothing is allocated per frame.
import { r16 } from '../../wire/bytes.ts';
import { ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6, type SkBuff } from '../../stack/skb.ts';
import { IPPROTO, VLAN } from '../../wire/constants.ts';
import { fold, sumBytes } from '../../wire/checksum.ts';
import { l4PseudoHeaderSum } from '../../wire/l4checksum.ts';
import { bytesSum } from '../../wire/byte-passes.ts';
import { SkbLayout } from '../../stack/packet-layout.ts';
import { CSUM_BAD, CSUM_GOOD, CSUM_NONE, type CsumVerdict } from '../rx-queue.ts';

export class TcpChecksumVerifier {
  /** Bytes summed by the last `verify` (what the driver charges as csum_byte); 0 when it did not check. */
  bytes = 0;
  private acc = 0;
  private pos = 0;
  private readonly headers = new SkbLayout();
  /** forEachChunk visitor: a chunk that starts at an odd stream position adds its sum byte-swapped. */
  private readonly chunk = (mem: Uint8Array, start: number, n: number): void => {
    const c = fold(bytesSum(mem, start, n)); // WebAssembly in DMA memory
    this.acc = fold(this.acc + ((this.pos & 1) !== 0 ? ((c & 0xff) << 8) | (c >>> 8) : c));
    this.pos += n;
  };

  /**
   * Verifies an skb after eth_type_trans (data at the network header, or at an in-band 802.1Q tag).
   * Only unfragmented TCP over IPv4 or IPv6 is checked; anything else is CSUM_NONE (the stack checks it itself).
   */
  verify(skb: SkBuff): CsumVerdict {
    this.bytes = 0;
    let l3 = 0, // network header, relative to skb.data
      type = skb.protocol;
    if (type === ETH_P_8021Q) {
      if (skb.headLen < VLAN.HLEN) return CSUM_NONE;
      type = r16(skb.buf, skb.data + VLAN.TYPE - VLAN.TCI);
      l3 = VLAN.HLEN;
    }
    if (type !== ETH_P_IP && type !== ETH_P_IPV6) return CSUM_NONE;
    const H = this.headers,
      L = H.lay(skb, type, l3);
    if (L.l4 < 0 || L.fragment || L.l4Proto !== IPPROTO.TCP) return CSUM_NONE;
    this.bytes = L.ipEnd;
    if (L.isIpv4 && fold(sumBytes(H.buf, H.base, L.ipHdrLen)) !== 0xffff) return CSUM_BAD;
    this.acc = fold(l4PseudoHeaderSum(H.buf, H.base, L));
    this.pos = 0;
    skb.forEachChunk(l3 + L.l4, L.ipEnd - L.l4, this.chunk);
    return fold(this.acc) === 0xffff ? CSUM_GOOD : CSUM_BAD;
  }
}
