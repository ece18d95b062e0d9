// The tests' reference driver for rings whose descriptors the device writes back in place (e1000, mq):
// post buffers, reap completed frames (descriptors up to EOP with DD), free their buffers. Tests only.
import { setAddr64 } from '../../hw-models/dma.ts';
import type { NicModel } from '../../hw-models/model.ts';
import type { RefCompletion, ReferenceDriver } from './reference-drivers.ts';

/** What a write-back reference driver needs from one descriptor. */
export interface WritebackView {
  dd: boolean;
  eop: boolean;
  length: number;
  hdrLength: number;
  vlanTag: number;
  csum: 'none' | 'ok' | 'bad';
  rssHash: number;
  fields: Record<string, number>;
}

/**
 * The tests' minimal driver for write-back rings (e1000, mq): a shadow array of buffer addresses, a
 * next-to-clean index; a frame is the descriptors up to EOP. With `hdrBytes` > 0 (mq header split)
 * each slot also gets a header buffer, and the header bytes come first in the frame.
 */
export class WritebackReference implements ReferenceDriver {
  private readonly st: { shadow: Int32Array; hdr: Int32Array; clean: number; tail: number; outstanding: number }[] = [];
  constructor(
    private readonly nic: NicModel,
    private readonly ringName: string,
    private readonly bufBytes: number,
    private readonly decode: (v: DataView, at: number) => WritebackView,
    private readonly hdrBytes = 0,
    private readonly writeRead: ((v: DataView, at: number, pkt: number, hdr: number) => void) | null = null,
  ) {
    for (let q = 0; q < nic.queueCount; q++) {
      const n = nic.ring(q, ringName).entries;
      this.st.push({ shadow: new Int32Array(n), hdr: new Int32Array(n), clean: 0, tail: 0, outstanding: 0 });
    }
  }

  fill(limitPerRing = Infinity): number {
    const nic = this.nic,
      v = nic.dma.view;
    let posted = 0;
    for (let q = 0; q < nic.queueCount; q++) {
      const s = this.st[q]!,
        info = nic.ring(q, this.ringName);
      let n = 0;
      while (n < limitPerRing && s.outstanding < info.entries - 1) {
        const addr = nic.dma.alloc(this.bufBytes);
        if (addr < 0) break;
        let hdr = 0;
        if (this.hdrBytes > 0) {
          hdr = nic.dma.alloc(this.hdrBytes);
          if (hdr < 0) {
            nic.dma.free(addr);
            break;
          }
        }
        const at = info.base + s.tail * info.entrySize;
        for (let i = 0; i < info.entrySize; i++) nic.dma.bytes[at + i] = 0;
        if (this.writeRead !== null) this.writeRead(v, at, addr, hdr);
        else setAddr64(v, at, addr, true);
        s.shadow[s.tail] = addr;
        s.hdr[s.tail] = hdr;
        s.tail = (s.tail + 1) % info.entries;
        s.outstanding++;
        n++;
        posted++;
      }
      if (n > 0) nic.doorbell(q, this.ringName, s.tail);
    }
    return posted;
  }

  teardown(): void {
    for (let q = 0; q < this.nic.queueCount; q++) {
      const s = this.st[q]!,
        n = s.shadow.length;
      for (let k = 0; k < s.outstanding; k++) {
        const slot = (s.clean + k) % n;
        this.nic.dma.free(s.shadow[slot]!);
        if (this.hdrBytes > 0) this.nic.dma.free(s.hdr[slot]!);
      }
      s.outstanding = 0;
    }
  }

  reap(): RefCompletion[] {
    const nic = this.nic,
      v = nic.dma.view,
      mem = nic.dma.bytes;
    const out: RefCompletion[] = [];
    for (let q = 0; q < nic.queueCount; q++) {
      const s = this.st[q]!,
        info = nic.ring(q, this.ringName);
      for (;;) {
        // a frame is complete when every descriptor up to EOP has DD
        let k = 0,
          eop = -1;
        while (k < s.outstanding) {
          const w = this.decode(v, info.base + ((s.clean + k) % info.entries) * info.entrySize);
          if (!w.dd) break;
          if (w.eop) {
            eop = k;
            break;
          }
          k++;
        }
        if (eop < 0) break;
        const parts: Uint8Array[] = [];
        let last: WritebackView | null = null,
          first: WritebackView | null = null;
        for (let j = 0; j <= eop; j++) {
          const slot = s.clean;
          const w = this.decode(v, info.base + slot * info.entrySize);
          if (j === 0) {
            first = w;
            if (w.hdrLength > 0) parts.push(mem.slice(s.hdr[slot]!, s.hdr[slot]! + w.hdrLength));
          }
          parts.push(mem.slice(s.shadow[slot]!, s.shadow[slot]! + w.length));
          nic.dma.free(s.shadow[slot]!);
          if (this.hdrBytes > 0) nic.dma.free(s.hdr[slot]!);
          last = w;
          s.clean = (s.clean + 1) % info.entries;
          s.outstanding--;
        }
        const total = parts.reduce((a, p) => a + p.length, 0);
        const fr = new Uint8Array(total);
        let o = 0;
        for (const p of parts) {
          fr.set(p, o);
          o += p.length;
        }
        out.push({
          queue: q,
          ring: this.ringName,
          frame: fr,
          vlanTag: last!.vlanTag,
          csum: last!.csum,
          partialCsum: -1,
          crcError: false,
          fragments: eop + 1,
          rssHash: last!.rssHash,
          fields: { ...last!.fields, firstHdrLength: first!.hdrLength },
        });
      }
    }
    return out;
  }
}
