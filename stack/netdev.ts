// struct net_device, reduced to what a receive path needs: a name, MTU, MAC, feature bits, the
// driver-maintained counters of struct net_device_stats, and ethtool -S style statistics that a
// driver (and its LRO manager) contribute through registered provider functions.
import { parseMac, formatMac } from '../wire/address.ts';

/**
 * Feature bits. Values as in Linux where the flag existed (NETIF_F_HW_VLAN_RX 2.6.24, NETIF_F_GRO
 * 2.6.29, NETIF_F_LRO 2.6.27); NETIF_F_RXCSUM is the 3.x flag (bit 29). 2.6.24 itself had no LRO or
 * GRO feature flags (eHEA toggled LRO with a module parameter).
 */
export const NETIF_F_HW_VLAN_RX = 1 << 8;
export const NETIF_F_GRO = 1 << 14;
export const NETIF_F_LRO = 1 << 15;
export const NETIF_F_RXCSUM = 1 << 29;

/** The receive-side subset of struct net_device_stats; the driver increments these. */
export interface NetDeviceStats {
  rx_packets: number;
  rx_bytes: number;
  rx_dropped: number;
  rx_errors: number;
  rx_crc_errors: number;
  rx_length_errors: number;
  rx_missed_errors: number;
  multicast: number;
}

export type StatsProvider = () => Readonly<Record<string, number>>;

export interface NetDeviceOptions {
  name?: string;
  mtu?: number;
  /** "02:00:00:00:00:02" by default (the host side of every lab link). */
  mac?: string;
  features?: number;
}

export class NetDevice {
  readonly name: string;
  mtu: number;
  readonly mac: Uint8Array;
  features: number;
  readonly stats: NetDeviceStats = {
    rx_packets: 0,
    rx_bytes: 0,
    rx_dropped: 0,
    rx_errors: 0,
    rx_crc_errors: 0,
    rx_length_errors: 0,
    rx_missed_errors: 0,
    multicast: 0,
  };
  private readonly providers: StatsProvider[] = [];

  constructor(opts: NetDeviceOptions = {}) {
    this.name = opts.name ?? 'eth0';
    this.mtu = opts.mtu ?? 1500;
    if (!Number.isInteger(this.mtu) || this.mtu < 68 || this.mtu > 65535) {
      throw new RangeError(`${this.name}: mtu ${this.mtu} out of range (68..65535)`);
    }
    this.mac = parseMac(opts.mac ?? '02:00:00:00:00:02');
    this.features = opts.features ?? 0;
  }

  get macString(): string {
    return formatMac(this.mac);
  }

  hasFeature(f: number): boolean {
    return (this.features & f) === f;
  }

  /**
   * Adds a source of ethtool statistics (the driver's get_ethtool_stats): called at read time,
   * returns name → value under the names drivers used ("LRO aggregated", "LRO flushed", ...).
   */
  registerStatsProvider(fn: StatsProvider): void {
    this.providers.push(fn);
  }

  /** The providers' names and values, in registration order (internal; use ethtoolStats). */
  collectProviders(into: Record<string, number>): void {
    for (const p of this.providers) {
      const s = p();
      for (const k of Object.keys(s)) into[k] = (into[k] ?? 0) + s[k]!;
    }
  }
}

/** `ethtool -S dev`: the device counters followed by every registered provider's, name → number. */
export function ethtoolStats(dev: NetDevice): Record<string, number> {
  const out: Record<string, number> = { ...dev.stats };
  dev.collectProviders(out);
  return out;
}
