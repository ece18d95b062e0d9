// Property: a router running GRO sends on exactly what it received. Random segment sequences (short
// segments, PSH/FIN/URG/ECE/CWR in the middle, ACK/window/timestamp changes, TTL changes, fixed or
// incrementing IP IDs, flushes at random points) go through GRO, ip_forward and the egress transmit
// path — TSO in the mq device, or software GSO — and the egress wire carries each segment unchanged
// but for the MAC header, TTL − 1 and the IP header checksum.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../sim/clock.ts';
import { Stack } from '../stack/stack.ts';
import { XmitPath } from '../stack/xmit.ts';
import { IpForwarder } from '../stack/forward.ts';
import { GroEngine } from '../lro/gro.ts';
import { seg, skbOf, RecordingSink } from './support/lro.ts';
import { mqTransmitter } from '../drivers/mq/xmit.ts';
import { e1000Transmitter } from '../drivers/e1000/xmit.ts';
import { parseIpv4, parseMac } from '../wire/address.ts';
import { IPV4 } from '../wire/constants.ts';
import { checksum } from '../wire/checksum.ts';

const streamArb = fc.record({
  idFixed: fc.boolean(),
  egress: fc.constantFrom('mq TSO', 'mq GSO', 'e1000 TSO'),
  segs: fc.array(
    fc.record({
      odd: fc.integer({ min: 0, max: 99 }),
      shortLen: fc.integer({ min: 1, max: 1447 }),
      ackBump: fc.integer({ min: 0, max: 19 }),
      tsBump: fc.integer({ min: 0, max: 19 }),
      flushAfter: fc.integer({ min: 0, max: 39 }),
    }),
    { minLength: 1, maxLength: 80, size: 'max' },
  ),
});

const NEXT_HOP = parseMac('02:00:00:00:01:02'),
  EGRESS_MAC = parseMac('02:00:00:00:01:fe');

/** What a router sends on for `f`: new MAC header, TTL − 1, header checksum recomputed. */
function forwarded(f: Uint8Array): Uint8Array {
  const w = f.slice();
  w.set(NEXT_HOP, 0);
  w.set(EGRESS_MAC, 6);
  w[14 + IPV4.TTL] = w[14 + IPV4.TTL]! - 1;
  w[14 + IPV4.CSUM] = 0;
  w[14 + IPV4.CSUM + 1] = 0;
  const c = checksum(w, 14, 20);
  w[14 + IPV4.CSUM] = c >>> 8;
  w[14 + IPV4.CSUM + 1] = c & 0xff;
  return w;
}

describe('forwarding with GRO (property)', () => {
  it('egress equals ingress byte for byte over random segment sequences', () => {
    let aggregates = 0;
    fc.assert(
      fc.property(streamArb, ({ idFixed, egress, segs }) => {
        const clock = new VirtualClock();
        const stack = new Stack({ clock });
        const o = { clock, stack, mac: EGRESS_MAC, mtu: 1500, tso: egress !== 'mq GSO', gbps: 10 };
        const t = egress.startsWith('mq') ? mqTransmitter(o) : e1000Transmitter(o);
        const nic = 'nics' in t ? t.nics[0]! : t.nic;
        const wire: Uint8Array[] = [];
        nic.wire = (f, len) => wire.push(f.slice(0, len));
        const fw = new IpForwarder({
          kernel: 'modern',
          localAddrs: [],
          egressNet: parseIpv4('10.0.1.0'),
          egressPrefix: 24,
          egress: new XmitPath(t.driver, stack.cpu),
          nextHopMac: NEXT_HOP,
          ingressMac: parseMac('02:00:00:00:00:fe'),
          ingressAddr: parseIpv4('10.0.0.254'),
          toIngressWire: () => {},
          cpu: stack.cpu,
        });
        const sink = new RecordingSink();
        const g = new GroEngine({ sink });
        const flush = (): void => {
          g.flush();
          for (const d of sink.got.splice(0)) {
            if (d.skb.wireFrames > 1) aggregates++;
            fw.forward(d.skb, 20, d.skb.len, parseIpv4('10.0.1.2'));
          }
        };
        const input: Uint8Array[] = [];
        let seq = 1000,
          ack = 1,
          ts = 10,
          id = 40;
        for (const s of segs) {
          if (s.ackBump === 7) ack++;
          if (s.tsBump === 7) ts++;
          const k = s.odd - 80;
          const len = k >= 0 && k < 8 ? s.shortLen : 1448;
          const flags = k >= 8 && k < 14 ? ['AP', 'AF', 'AU', 'AW', 'AE', 'AR'][k - 8]! : 'A';
          const fr = seg({ seq, payload: len, flags, ack, ts: [ts, 3], ttl: k === 14 ? 63 : 64, id, dst: '10.0.1.2' });
          if (!idFixed) id = (id + 1) & 0xffff;
          seq += len;
          input.push(fr);
          g.groReceive(skbOf(fr));
          if (s.flushAfter === 7) flush();
        }
        flush();
        clock.run();
        expect(fw.stats.forwarded).toBeGreaterThan(0);
        expect(wire.length).toBe(input.length);
        const want = input.map(forwarded);
        for (let i = 0; i < want.length; i++) if (!bytesEqual(wire[i]!, want[i]!)) expect(wire[i]).toEqual(want[i]);
      }),
      { numRuns: 120 },
    );
    expect(aggregates).toBeGreaterThan(100);
  });
});

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
