import type { FibAnswer, FibQuery, NetDeviceInfo } from '../../helpers/packet.js';
import { ERRNO } from '../../errno.js';
import { AF_INET, AF_INET6, parseIp } from './sockets.js';

/** `BPF_FIB_LKUP_RET_*`: what `bpf_fib_lookup` returns. */
export const BPF_FIB_LKUP_RET = {
  SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, UNSUPP_LWT: 6,
  NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
} as const;

/** `BPF_FIB_LOOKUP_*` flags. */
export const BPF_FIB_LOOKUP = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16, MARK: 32 } as const;

/** Routing table ids. */
export const RT_TABLE = { DEFAULT: 253, MAIN: 254, LOCAL: 255 } as const;

/** A route type (`RTN_*`) as routing tables hold it. */
export type RouteType = 'unicast' | 'local' | 'broadcast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/** A route to add, with addresses as text or network-order bytes. */
export interface RouteSpec {
  /** AF_INET (default) or AF_INET6. */
  readonly family?: number;
  /** Destination prefix, e.g. `10.0.0.0/8` or `2001:db8::/32` (`default` for /0). */
  readonly dst: string;
  /** Output device. */
  readonly ifindex: number;
  /** Gateway (its family may differ for IPv4 routes via an IPv6 next hop). */
  readonly via?: { readonly family?: number; readonly addr: string | Uint8Array };
  /** RTN type (default unicast). */
  readonly type?: RouteType;
  /** Table (default main). */
  readonly table?: number;
  /** Metric (`fib_priority`, default 0). */
  readonly metric?: number;
  /** Route MTU (default: the device's). */
  readonly mtu?: number;
  /** Preferred source address. */
  readonly prefsrc?: string | Uint8Array;
  /** The route needs a lightweight-tunnel encapsulation. */
  readonly encap?: boolean;
}

/** A route as the table holds it. */
export interface Route {
  readonly family: number;
  readonly prefix: Uint8Array;
  readonly prefixLen: number;
  readonly ifindex: number;
  readonly via?: { readonly family: number; readonly addr: Uint8Array };
  readonly type: RouteType;
  readonly table: number;
  readonly metric: number;
  readonly mtu?: number;
  readonly prefsrc?: Uint8Array;
  readonly encap: boolean;
}

/** A neighbour entry (ARP or NDP): an address on a device and its MAC. */
export interface Neighbour {
  readonly ifindex: number;
  readonly family: number;
  readonly addr: Uint8Array;
  readonly mac: Uint8Array;
}

const { ENODEV } = ERRNO;
const R = BPF_FIB_LKUP_RET;

function matches(prefix: Uint8Array, len: number, addr: Uint8Array): boolean {
  for (let bit = 0; bit < len; bit += 8) {
    const i = bit >> 3;
    const keep = Math.min(8, len - bit);
    const mask = (0xff << (8 - keep)) & 0xff;
    if (((prefix[i]! ^ addr[i]!) & mask) !== 0) return false;
  }
  return true;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** IPv6 addresses the kernel never forwards (`rt6_need_strict`): multicast, link-local, loopback. */
function strict6(a: Uint8Array): boolean {
  const loopback = a.subarray(0, 15).every((x) => x === 0) && a[15] === 1;
  return a[0] === 0xff || (a[0] === 0xfe && (a[1]! & 0xc0) === 0x80) || loopback;
}

/**
 * The routing tables and neighbour tables of a Machine, answering `bpf_fib_lookup` as the kernel
 * does (`bpf_ipv4_fib_lookup`, `bpf_ipv6_fib_lookup`): forwarding must be on for the input device,
 * the local table is consulted before main unless the lookup is direct, the longest prefix wins
 * (lowest metric among equals), non-unicast routes map to their `BPF_FIB_LKUP_RET_*` code, and the
 * next hop needs a neighbour entry unless the caller skips it. The network simulator fills it.
 */
export class FibTable {
  private readonly routes: Route[] = [];
  private readonly neighbours: Neighbour[] = [];

  /** Adds a route. */
  addRoute(spec: RouteSpec): Route {
    const family = spec.family ?? AF_INET;
    const n = family === AF_INET6 ? 16 : 4;
    const [addr, len] = spec.dst === 'default' ? [undefined, '0'] : spec.dst.split('/');
    const prefixLen = Number(len ?? n * 8);
    if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > n * 8) throw new RangeError(`bad prefix length in '${spec.dst}'`);
    const viaFamily = spec.via?.family ?? family;
    const route: Route = {
      family, prefix: parseIp(addr, n), prefixLen, ifindex: spec.ifindex, type: spec.type ?? 'unicast',
      table: spec.table ?? RT_TABLE.MAIN, metric: spec.metric ?? 0, encap: spec.encap ?? false,
      ...(spec.via ? { via: { family: viaFamily, addr: parseIp(spec.via.addr, viaFamily === AF_INET6 ? 16 : 4) } } : {}),
      ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
      ...(spec.prefsrc !== undefined ? { prefsrc: parseIp(spec.prefsrc, n) } : {}),
    };
    this.routes.push(route);
    return route;
  }

  /** Adds (or replaces) a neighbour entry. */
  addNeighbour(ifindex: number, family: number, addr: string | Uint8Array, mac: Uint8Array): Neighbour {
    const a = parseIp(addr, family === AF_INET6 ? 16 : 4);
    const i = this.neighbours.findIndex((x) => x.ifindex === ifindex && x.family === family && equal(x.addr, a));
    const entry: Neighbour = { ifindex, family, addr: a, mac: mac.slice() };
    if (i >= 0) this.neighbours[i] = entry;
    else this.neighbours.push(entry);
    return entry;
  }

  /** Every route, in insertion order. */
  listRoutes(): readonly Route[] {
    return this.routes;
  }

  /** Every neighbour entry. */
  listNeighbours(): readonly Neighbour[] {
    return this.neighbours;
  }

  private best(family: number, table: number, dst: Uint8Array): Route | undefined {
    let best: Route | undefined;
    for (const r of this.routes) {
      if (r.family !== family || r.table !== table || !matches(r.prefix, r.prefixLen, dst)) continue;
      if (!best || r.prefixLen > best.prefixLen || (r.prefixLen === best.prefixLen && r.metric < best.metric)) best = r;
    }
    return best;
  }

  /** `bpf_fib_lookup`'s route and neighbour resolution. */
  lookup(q: FibQuery, device: (ifindex: number) => NetDeviceInfo | undefined): FibAnswer {
    const checkMtu = q.checkMtu;
    const v6 = q.family === AF_INET6;
    if (v6 && (strict6(q.dst) || strict6(q.src))) return { ret: R.NOT_FWDED };
    const dev = device(q.ifindex);
    if (!dev) return { ret: -ENODEV };
    if (!(v6 ? dev.forwarding6 : dev.forwarding4)) return { ret: R.FWD_DISABLED };
    const tables = q.flags & BPF_FIB_LOOKUP.DIRECT
      ? [q.flags & BPF_FIB_LOOKUP.TBID ? q.tbid : RT_TABLE.MAIN]
      : [RT_TABLE.LOCAL, RT_TABLE.MAIN, RT_TABLE.DEFAULT];
    let route: Route | undefined;
    for (const t of tables) {
      route = this.best(q.family, t, q.dst);
      if (route && route.type !== 'throw') break;
      route = undefined;
    }
    if (!route) return { ret: R.NOT_FWDED };
    switch (route.type) {
      case 'unicast': break;
      case 'blackhole': return { ret: R.BLACKHOLE };
      case 'unreachable': return { ret: R.UNREACHABLE };
      case 'prohibit': return { ret: R.PROHIBIT };
      default: return { ret: R.NOT_FWDED };
    }
    const out = device(route.ifindex);
    const mtu = route.mtu ?? out?.mtu ?? 0;
    if (checkMtu && q.totLen > mtu) return { ret: R.FRAG_NEEDED, mtu };
    if (route.encap) return { ret: R.UNSUPP_LWT };
    const nhFamily = route.via?.family ?? q.family;
    const nexthop = route.via?.addr ?? q.dst;
    const answer = { ifindex: route.ifindex, metric: route.metric, family: nhFamily, nexthop, mtu: checkMtu ? mtu : 0 };
    let src: Uint8Array | undefined;
    if (q.flags & BPF_FIB_LOOKUP.SRC) {
      src = route.prefsrc;
      if (!src) return { ret: R.NO_SRC_ADDR, ...answer };
    }
    const withSrc = src ? { ...answer, src } : answer;
    if (q.flags & BPF_FIB_LOOKUP.SKIP_NEIGH) return { ret: R.SUCCESS, ...withSrc };
    const neigh = this.neighbours.find((x) => x.ifindex === route!.ifindex && x.family === nhFamily && equal(x.addr, nexthop));
    if (!neigh) return { ret: R.NO_NEIGH, ...withSrc };
    return { ret: R.SUCCESS, ...withSrc, dmac: neigh.mac, smac: out?.mac ?? new Uint8Array(6) };
  }
}
