// Copies of examples/minimal-driver.ts that each break one NAPI/driver rule on purpose (the test of
// `vnic test-driver` checks each is reported with exactly its rule). Each is a list of exact text
// replacements in the example's source; `brokenCopy` fails loudly when the example's text moved.
import type { RuleName } from '../lab/driver-rules.ts';

export interface BrokenDriver {
  rule: RuleName;
  why: string;
  edits: [from: string, to: string][];
}

export const BROKEN_DRIVERS: BrokenDriver[] = [
  {
    rule: 'poll-over-budget',
    why: 'one frame more than the budget per poll',
    edits: [['for (; done < budget; done++) {', 'for (; done <= budget; done++) {']],
  },
  {
    rule: 'poll-not-completed',
    why: 'drained, but the interrupt is never re-enabled',
    edits: [
      [
        'if (done < budget) { stack.napiComplete(napi); nic.unmaskIrq(q); }',
        'if (done < budget) { stack.napiComplete(napi); }',
      ],
    ],
  },
  {
    rule: 'irq-enabled-while-polling',
    why: 're-enables the interrupt after every poll, also one that used its budget',
    edits: [
      [
        'if (done < budget) { stack.napiComplete(napi); nic.unmaskIrq(q); }',
        'if (done < budget) stack.napiComplete(napi); nic.unmaskIrq(q);',
      ],
    ],
  },
  {
    rule: 'engine-not-flushed',
    why: 'no lro_flush_all before napi_complete',
    edits: [['    lro?.flushAll();', '    // (no flush)']],
  },
  {
    rule: 'unverified-checksum-to-lro',
    why: 'every TCP frame to LRO, verified or not',
    edits: [['if (lro !== null && ok) {', 'if (lro !== null) {']],
  },
  {
    rule: 'buffer-leak',
    why: 'the skb does not own its buffer, so freeing the skb never gives the buffer back',
    edits: [['skb.headOwner = nic.dma; skb.headOwnerAddr = addr;', 'skb.headOwnerAddr = addr;']],
  },
  {
    rule: 'double-free',
    why: 'frees the buffer of a frame it handed to the stack, which frees it too',
    edits: [['else stack.netifReceiveSkb(skb);', 'else { stack.netifReceiveSkb(skb); nic.dma.free(addr); }']],
  },
  {
    rule: 'ring-not-refilled',
    why: 'posts at most 4 buffers per poll',
    edits: [
      [
        'while ((nextToUse + 1) % e !== nextToClean) {',
        'for (let k = 0; k < 4 && (nextToUse + 1) % e !== nextToClean; k++) {',
      ],
    ],
  },
  {
    rule: 'conservation',
    why: 'silently drops every 50th frame (no counter)',
    edits: [
      [
        'ethTypeTrans(skb);',
        'if (counters.rx_packets % 50 === 0) { freeSkb(skb); continue; }\n      ethTypeTrans(skb);',
      ],
      ['SkbPool, ethTypeTrans,', 'SkbPool, ethTypeTrans, freeSkb,'],
    ],
  },
  {
    rule: 'byte-stream',
    why: 'flips a payload byte of the 20th frame (after the NIC verified its checksum)',
    edits: [
      [
        'ethTypeTrans(skb);',
        'if (counters.rx_packets === 20 && skb.len > 200) skb.buf[skb.data + 150]! ^= 1;\n      ethTypeTrans(skb);',
      ],
    ],
  },
];

/**
 * The frags-mode rule broken in a copy of examples/frags-style-driver.ts (page fragments: LRO has no ip_summed to
 * look at, get_frag_header is where the driver verifies): get_frag_header that checks neither checksum.
 */
export const BROKEN_FRAGS_DRIVER: BrokenDriver = {
  rule: 'unverified-checksum-to-lro',
  why: 'frags mode: get_frag_header verifies neither the IP header nor the TCP checksum',
  edits: [
    ['  if (fold(sumBytes(b, iph, ihl)) !== 0xffff) return false;', '  // (no IP header checksum)'],
    [
      '  if (fold(sum + pseudoHeaderSum(b, iph + 12, iph + 16, 6, r16(b, iph + 2) - ihl)) !== 0xffff) return false;',
      '  // (no TCP checksum)',
    ],
  ],
};

/** An example driver's source (`example`: its registered name and file) with `b`'s edits, registered as `name`. */
export function brokenCopy(source: string, b: BrokenDriver, name: string, example = 'minimal'): string {
  let s = source.replaceAll(`name: '${example}'`, `name: '${name}'`).replaceAll(`'${example}'`, `'${name}'`);
  for (const [from, to] of b.edits) {
    if (!s.includes(from))
      throw new Error(
        `broken driver ${b.rule}: examples/${example}-driver.ts no longer contains ${JSON.stringify(from)}`,
      );
    s = s.replace(from, to);
  }
  return s;
}
