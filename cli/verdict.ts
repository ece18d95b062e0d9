// What a replay's checks say, in words: why a run delivered nothing, and for each byte stream that
// differs from the capture's, which flow, where the first byte went missing and the counted reason.
// The report carries the facts (flows[].missing, drops, counters.replay); this only phrases them.
import type { RunReport } from '../lab/run-report.ts';
import { fmtInt } from './format.ts';

/** What the replay was asked, for phrasing (the flags that can make a run deliver nothing). */
export interface ReplayAsked {
  onlyTo?: string | undefined;
  mtu?: number | undefined;
}

/** Skbs the stack finished with without a drop (socket data, pure ACKs, the null protocol handlers). */
export function framesConsumed(r: RunReport): number {
  const s = r.counters['stack'] ?? {};
  return (
    (s['tcpDataDelivered'] ?? 0) +
    (s['tcpPureAcks'] ?? 0) +
    (s['otherL3'] ?? 0) +
    (s['udpDelivered'] ?? 0) +
    (s['icmpDelivered'] ?? 0) +
    (s['otherProto'] ?? 0)
  );
}

/** Why a run delivered no frame to any protocol, or null when it delivered some. */
export function nothingDelivered(r: RunReport, asked: ReplayAsked = {}): string | null {
  if (framesConsumed(r) > 0) return null;
  const rep = r.counters['replay'] ?? {};
  const records = rep['records'] ?? r.framesIn;
  if (records === 0) return 'nothing was delivered: the capture holds no frames';
  if ((rep['notEthernet'] ?? 0) === records)
    return `nothing was delivered: none of the capture's ${fmtInt(records)} frames is Ethernet`;
  if ((rep['sent'] ?? r.framesIn) === 0 && (rep['filteredOut'] ?? 0) > 0) {
    return `nothing was delivered: --only-to ${asked.onlyTo ?? '?'} matched none of the capture's ${fmtInt(records)} frames`;
  }
  const drops = dropList(r);
  if (drops === '')
    return `nothing was delivered: the ${fmtInt(r.framesIn)} frames offered reached no protocol and no drop was counted`;
  return `nothing was delivered: every frame offered (${fmtInt(r.framesIn)}) was dropped: ${drops}${hint(r, asked)}`;
}

/** One line per flow whose byte stream differs, plus the expected flows that never arrived and the unexpected ones. */
export function failureLines(r: RunReport, asked: ReplayAsked = {}): string[] {
  const out: string[] = [];
  const why = dropReason(r, asked);
  for (const [name, f] of Object.entries(r.flows)) {
    if (f.byteStreamOk) continue;
    const flow = name.replace('>', ' > ');
    if (f.missing !== undefined) {
      out.push(`${flow}: ${fmtInt(f.missing.bytes)} bytes missing at stream offset ${fmtInt(f.missing.at)}: ${why}`);
    } else {
      out.push(
        `${flow}: all ${fmtInt(f.bytesDelivered)} bytes arrived but their content differs from the capture's: ${why}`,
      );
    }
  }
  for (const u of r.unexpectedFlows)
    out.push(`${u.replace('>', ' > ')}: data arrived on a flow the capture does not carry`);
  return out;
}

/** "segment dropped (tcp_csum_errors)" when one reason was counted, the list when several, or that none was. */
function dropReason(r: RunReport, asked: ReplayAsked): string {
  const reasons = Object.entries(r.drops).filter(([, v]) => v > 0);
  if (reasons.length === 0) return 'no drop was counted (a lab bug: please report it with the capture)';
  if (reasons.length === 1) return `segment dropped (${reasons[0]![0]})${hint(r, asked)}`;
  return `segments dropped (${dropList(r)})${hint(r, asked)}`;
}

function dropList(r: RunReport): string {
  return Object.entries(r.drops)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${fmtInt(v)}`)
    .join(', ');
}

/** What to do about a drop reason the user can fix with a flag. */
function hint(r: RunReport, asked: ReplayAsked): string {
  if ((r.drops['rx_oversize'] ?? 0) > 0)
    return `; frames larger than the MTU${asked.mtu !== undefined ? ` ${asked.mtu}` : ''} are dropped: give --mtu`;
  return '';
}
