// `--out`: every packet the stack received, in order, as the stack saw it — an aggregate as one large
// frame with its rewritten headers, a tag the NIC took out of the frame put back in-band — written
// to pcap or pcapng (one interface per receive queue).
import { CaptureWriter } from '../tap/index.ts';
import { ETH_HLEN, ETH_P_8021Q, type SkBuff } from '../stack/skb.ts';

export interface OutputOptions {
  path: string;
  /** Default: from the file name (.pcapng → pcapng, else pcap). */
  format?: 'pcap' | 'pcapng';
  /** Bytes kept of each packet (default: all). A replay keeps its input's snap length, so bytes a header-only capture never held (made up by the lab) are never written. */
  snaplen?: number | undefined;
}

export class OutputTap {
  private readonly writer: CaptureWriter;
  /** The frame being written, reused (grown to the largest aggregate seen). */
  private frame = new Uint8Array(2048);
  packets = 0;

  constructor(opts: OutputOptions, queues: number) {
    const format = opts.format ?? (opts.path.toLowerCase().endsWith('.pcapng') ? 'pcapng' : 'pcap');
    this.writer = CaptureWriter.open(opts.path, {
      format,
      nanosecond: true,
      snaplen: opts.snaplen,
      ...(format === 'pcapng'
        ? { interfaces: queues, interfaceNames: Array.from({ length: queues }, (_, q) => `rx${q}`) }
        : {}),
    });
  }

  /** Serialises the skb as a frame: its MAC header, the NIC's tag (if any) in-band, then its data. */
  write(skb: SkBuff, nowNs: number): void {
    const tagged = skb.vlanPresent;
    const len = ETH_HLEN + (tagged ? 4 : 0) + skb.len;
    if (this.frame.length < len) this.frame = new Uint8Array(Math.max(len, this.frame.length * 2));
    const frame = this.frame;
    const mac = skb.macHeader >= 0 ? skb.macHeader : skb.data - ETH_HLEN;
    frame.set(skb.buf.subarray(mac, mac + 12), 0);
    let o = 12;
    if (tagged) {
      frame[o++] = ETH_P_8021Q >> 8;
      frame[o++] = ETH_P_8021Q & 0xff;
      frame[o++] = skb.vlanTci >> 8;
      frame[o++] = skb.vlanTci & 0xff;
      frame[o++] = skb.protocol >> 8;
      frame[o++] = skb.protocol & 0xff;
    } else {
      frame[o++] = skb.buf[mac + 12]!;
      frame[o++] = skb.buf[mac + 13]!;
    }
    skb.copyBits(0, frame, o, skb.len);
    this.writer.write({
      tsSec: Math.floor(nowNs / 1e9),
      tsNsec: Math.floor(nowNs % 1e9),
      data: frame,
      length: len,
      origLen: len,
      ...(skb.queue > 0 ? { interfaceId: skb.queue } : {}),
    });
    this.packets++;
  }

  close(): void {
    this.writer.close();
  }
}
