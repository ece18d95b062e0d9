// `--out`: every packet the stack received, in order, as the stack saw it — an aggregate as one large
// frame with its rewritten headers, a tag the NIC took out of the frame put back in-band — written
// to pcap or pcapng (one interface per receive queue).
import { CaptureWriter, type FrameSource } from '../tap/index.ts';
import { ETH_HLEN, ETH_P_8021Q, type SkBuff } from '../stack/skb.ts';

export interface OutputOptions {
  path: string;
  /** Default: from the file name (.pcapng → pcapng, else pcap). */
  format?: 'pcap' | 'pcapng';
  /** Bytes kept of each packet (default: all). A replay keeps its input's snap length, so bytes a header-only capture never held (made up by the lab) are never written. */
  snaplen?: number | undefined;
}

export class OutputTap implements FrameSource {
  private readonly writer: CaptureWriter;
  /** The MAC header as written (the NIC's tag back in-band), reused. */
  private readonly header = new Uint8Array(ETH_HLEN + 4);
  private headerLen = 0;
  /** The skb being written (copyFrame's source). */
  private skb: SkBuff | undefined;
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
    const h = this.header;
    const mac = skb.macHeader >= 0 ? skb.macHeader : skb.data - ETH_HLEN;
    h.set(skb.buf.subarray(mac, mac + 12), 0);
    let o = 12;
    if (tagged) {
      h[o++] = ETH_P_8021Q >> 8;
      h[o++] = ETH_P_8021Q & 0xff;
      h[o++] = skb.vlanTci >> 8;
      h[o++] = skb.vlanTci & 0xff;
      h[o++] = skb.protocol >> 8;
      h[o++] = skb.protocol & 0xff;
    } else {
      h[o++] = skb.buf[mac + 12]!;
      h[o++] = skb.buf[mac + 13]!;
    }
    this.headerLen = o;
    this.skb = skb;
    const len = o + skb.len;
    this.writer.writeFrom(
      {
        tsSec: Math.floor(nowNs / 1e9),
        tsNsec: Math.floor(nowNs % 1e9),
        length: len,
        origLen: len,
        ...(skb.queue > 0 ? { interfaceId: skb.queue } : {}),
      },
      this,
    );
    this.skb = undefined;
    this.packets++;
  }

  /** The frame's first `len` bytes (the writer's snap length may cut it) straight into the file's batch. */
  copyFrame(dst: Uint8Array, at: number, len: number): void {
    const hl = Math.min(len, this.headerLen);
    dst.set(this.header.subarray(0, hl), at);
    if (len > hl) this.skb!.copyBits(0, dst, at + hl, len - hl);
  }

  close(): void {
    this.writer.close();
  }
}
