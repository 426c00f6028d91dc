import type { Arena, Region } from '../../arena/index.js';
import type { PacketSocket, SocketQuery } from '../../helpers/packet.js';
import { BPF_SOCK_SIZE, BpfSock } from '../progtypes/ctx/sockLayouts.js';

/** AF_INET. */
export const AF_INET = 2;
/** AF_INET6. */
export const AF_INET6 = 10;
/** IPPROTO_TCP. */
export const IPPROTO_TCP = 6;
/** IPPROTO_UDP. */
export const IPPROTO_UDP = 17;
/** `sk_state` values the lookups care about. */
export const TcpState = { ESTABLISHED: 1, TIME_WAIT: 6, CLOSE: 7, LISTEN: 10, NEW_SYN_RECV: 12 } as const;

/** What to create a socket from; addresses are dotted quads, IPv6 text or raw network-order bytes. */
export interface SocketSpec {
  /** AF_INET (default) or AF_INET6. */
  readonly family?: number;
  /** IPPROTO_TCP (default) or IPPROTO_UDP. */
  readonly protocol?: number;
  /** `sk_state` (default TCP_LISTEN for TCP, TCP_CLOSE for UDP). */
  readonly state?: number;
  /** Bound address (default the wildcard). */
  readonly localIp?: string | Uint8Array;
  /** Bound port, host order. */
  readonly localPort: number;
  /** Peer address (connected sockets). */
  readonly remoteIp?: string | Uint8Array;
  /** Peer port, host order. */
  readonly remotePort?: number;
  /** Device the socket is bound to (default 0). */
  readonly boundIfindex?: number;
  /** SO_REUSEPORT (default false). */
  readonly reuseport?: boolean;
  /** `sk_mark`. */
  readonly mark?: number;
  /** `sk_priority`. */
  readonly priority?: number;
  /** `sk_type` (default SOCK_STREAM for TCP, SOCK_DGRAM for UDP). */
  readonly type?: number;
  /** `sk_uid`, the owner (default 0, root). */
  readonly uid?: number;
}

/** A socket of the simulated kernel, with its `struct bpf_sock` view in the arena. */
export class SimSocket implements PacketSocket {
  readonly cookie: bigint;
  readonly family: number;
  readonly type: number;
  readonly protocol: number;
  readonly state: number;
  readonly localIp: Uint8Array;
  readonly localPort: number;
  readonly remoteIp: Uint8Array;
  readonly remotePort: number;
  readonly boundIfindex: number;
  readonly reuseport: boolean;
  readonly mark: number;
  readonly priority: number;
  readonly uid: number;
  /** Address of the `bpf_sock` view. */
  readonly address: number;
  /** References taken by lookups and not yet released. */
  refs = 0;
  /** The view's region (read-only for programs). */
  readonly region: Region;

  constructor(arena: Arena, cookie: bigint, spec: SocketSpec) {
    this.cookie = cookie;
    this.family = spec.family ?? AF_INET;
    this.protocol = spec.protocol ?? IPPROTO_TCP;
    this.type = spec.type ?? (this.protocol === IPPROTO_UDP ? 2 : this.protocol === IPPROTO_TCP ? 1 : 0);
    this.state = spec.state ?? (this.protocol === IPPROTO_TCP ? TcpState.LISTEN : TcpState.CLOSE);
    const n = this.family === AF_INET6 ? 16 : 4;
    this.localIp = parseIp(spec.localIp, n);
    this.localPort = spec.localPort;
    this.remoteIp = parseIp(spec.remoteIp, n);
    this.remotePort = spec.remotePort ?? 0;
    this.boundIfindex = spec.boundIfindex ?? 0;
    this.reuseport = spec.reuseport ?? false;
    this.mark = spec.mark ?? 0;
    this.priority = spec.priority ?? 0;
    this.uid = spec.uid ?? 0;
    this.region = arena.alloc(BPF_SOCK_SIZE, 'mem', `bpf_sock[${cookie}]`, { writable: false });
    this.address = this.region.start;
    this.writeView(arena);
  }

  /** Whether a sockmap or sockhash accepts it (TCP listening or established, UDP). */
  get sockmapReady(): boolean {
    return this.protocol === IPPROTO_UDP || this.state === TcpState.LISTEN || this.state === TcpState.ESTABLISHED;
  }

  /** Whether `bpf_sk_release` drops a reference (everything but RCU-freed listeners and UDP). */
  get refcounted(): boolean {
    return this.protocol === IPPROTO_TCP && this.state !== TcpState.LISTEN;
  }

  private writeView(arena: Arena): void {
    const v = arena.view;
    const a = this.address;
    v.setUint32(a + BpfSock.bound_dev_if, this.boundIfindex, true);
    v.setUint32(a + BpfSock.family, this.family, true);
    v.setUint32(a + BpfSock.type, this.type, true);
    v.setUint32(a + BpfSock.protocol, this.protocol, true);
    v.setUint32(a + BpfSock.mark, this.mark, true);
    v.setUint32(a + BpfSock.priority, this.priority, true);
    if (this.family === AF_INET) {
      arena.u8.set(this.localIp, a + BpfSock.src_ip4);
      arena.u8.set(this.remoteIp, a + BpfSock.dst_ip4);
    } else {
      arena.u8.set(this.localIp, a + BpfSock.src_ip6);
      arena.u8.set(this.remoteIp, a + BpfSock.dst_ip6);
    }
    v.setUint32(a + BpfSock.src_port, this.localPort, true);
    v.setUint16(a + BpfSock.dst_port, this.remotePort, false);
    v.setUint32(a + BpfSock.state, this.state, true);
    v.setInt32(a + BpfSock.rx_queue_mapping, -1, true);
  }
}

/** Parses an address: dotted quad, IPv6 text (with `::`), raw bytes, or undefined for the wildcard. */
export function parseIp(ip: string | Uint8Array | undefined, n: number): Uint8Array {
  if (ip === undefined) return new Uint8Array(n);
  if (ip instanceof Uint8Array) {
    if (ip.length !== n) throw new RangeError(`an address of this family has ${n} bytes, not ${ip.length}`);
    return ip.slice();
  }
  if (n === 4) {
    const parts = ip.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`'${ip}' is not an IPv4 address`);
    return Uint8Array.from(parts);
  }
  const [head, tail = ''] = ip.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head!);
  const t = ip.includes('::') ? groups(tail) : [];
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new RangeError(`'${ip}' is not an IPv6 address`);
  const out = new Uint8Array(16);
  all.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function wildcard(a: Uint8Array): boolean {
  return a.every((x) => x === 0);
}

/**
 * The sockets of a Machine (what the network simulator opens), with the kernel's lookup order:
 * an established (connected) socket matching the 4-tuple wins, then a listening or bound one on
 * the local address and port, an exact address before the wildcard, a socket bound to the device
 * before an unbound one.
 */
export class SocketTable {
  private readonly arena: Arena;
  private readonly sockets: SimSocket[] = [];
  private readonly byAddress = new Map<number, SimSocket>();
  private nextCookie = 1n;

  constructor(arena: Arena) {
    this.arena = arena;
  }

  /** Opens a socket. */
  add(spec: SocketSpec): SimSocket {
    const s = new SimSocket(this.arena, this.nextCookie++, spec);
    this.sockets.push(s);
    this.byAddress.set(s.address, s);
    return s;
  }

  /** A socket no lookup finds (the dummy socket of an skb test run), with a cookie and a `bpf_sock` view. */
  detached(spec: SocketSpec): SimSocket {
    const s = new SimSocket(this.arena, this.nextCookie++, spec);
    this.byAddress.set(s.address, s);
    return s;
  }

  /** Closes a socket (open or detached). */
  remove(s: SimSocket): void {
    if (!this.byAddress.delete(s.address)) return;
    const i = this.sockets.indexOf(s);
    if (i >= 0) this.sockets.splice(i, 1);
    this.arena.release(s.region);
  }

  /** Every open socket. */
  list(): readonly SimSocket[] {
    return this.sockets;
  }

  /** The socket whose `bpf_sock` view is at `addr`. */
  at(addr: number): SimSocket | undefined {
    return this.byAddress.get(addr);
  }

  /** The socket a packet with this tuple would be delivered to, if any. */
  lookup(q: SocketQuery): SimSocket | undefined {
    let best: SimSocket | undefined;
    let bestScore = -1;
    for (const s of this.sockets) {
      if (s.family !== q.family || s.protocol !== q.protocol || s.localPort !== q.dport) continue;
      if (s.boundIfindex !== 0 && s.boundIfindex !== q.ifindex) continue;
      if (!wildcard(s.localIp) && !equal(s.localIp, q.daddr)) continue;
      const connected = s.remotePort !== 0;
      if (connected && (s.remotePort !== q.sport || !equal(s.remoteIp, q.saddr))) continue;
      if (q.protocol === IPPROTO_TCP && !connected && s.state !== TcpState.LISTEN) continue;
      const score = (connected ? 8 : 0) + (wildcard(s.localIp) ? 0 : 4) + (s.boundIfindex ? 2 : 0);
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }
}
