import type { Arena } from '../../arena/index.js';
import type {
  FibAnswer, FibQuery, NetDeviceInfo, NetEnv, PacketContext, PacketSocket, RedirectInfo, SocketQuery,
} from '../../helpers/packet.js';
import type { BpfMap } from '../../maps/index.js';
import { FibTable } from './fib.js';
import { IPPROTO_TCP, SimSocket, SocketTable, TcpState } from './sockets.js';
import { TcpSockViews } from './tcpSockView.js';

/** A network device of the simulated kernel, as test runs, device maps and packet helpers see it. */
export interface SimDeviceLike {
  /** Interface index. */
  readonly ifindex: number;
  /** Interface name, e.g. `lo`. */
  readonly name: string;
  /** MTU (default 65536 for loopback, 1500 otherwise). */
  readonly mtu?: number;
  /** MAC address (default all zeros). */
  readonly mac?: Uint8Array;
  /** Broadcast address (default: zeros for loopback, ff:ff:ff:ff:ff:ff otherwise). */
  readonly broadcast?: Uint8Array;
  /** IPv4 forwarding on the device (default off, as `net.ipv4.conf.*.forwarding`). */
  readonly forwarding4?: boolean;
  /** IPv6 forwarding on the device (default off). */
  readonly forwarding6?: boolean;
  /** The peer of a veth pair (for `bpf_redirect_peer`). */
  readonly peer?: number;
}

const ZERO_MAC = new Uint8Array(6);
const BCAST = new Uint8Array(6).fill(0xff);

/**
 * The network state of a Machine that packet helpers and test runs use: the contexts laid out by
 * runs in progress (by their address), per-CPU redirect state, devices, the FIB and the socket
 * table. It implements the helpers' `NetEnv`.
 */
export class MachineNet implements NetEnv {
  /** Routes and neighbours. */
  readonly fib = new FibTable();
  /** Open sockets. */
  readonly sockets: SocketTable;
  /** The `bpf_tcp_sock` views of TCP sockets programs asked for. */
  private readonly tcpViews: TcpSockViews;
  /** The net_cls classid of the simulated current task (`bpf_get_cgroup_classid`). */
  cgroupClassid = 0;
  /** Seed of the flow hash, as the kernel's boot-time `hashrnd`. */
  readonly flowHashSeed: number;
  readonly arena: Arena;
  private readonly contexts = new Map<number, PacketContext>();
  private readonly redirects: RedirectInfo[] = [];
  private readonly current: (PacketContext | undefined)[] = [];
  private readonly devices: (ifindex: number) => SimDeviceLike | undefined;
  private readonly maps: (addr: number) => BpfMap | undefined;

  constructor(arena: Arena, devices: (ifindex: number) => SimDeviceLike | undefined, maps: (addr: number) => BpfMap | undefined, seed: number) {
    this.arena = arena;
    this.sockets = new SocketTable(arena);
    this.tcpViews = new TcpSockViews(arena);
    this.devices = devices;
    this.maps = maps;
    this.flowHashSeed = seed >>> 0;
  }

  /** Registers the context a run laid out at `addr` (until `forget`). */
  register(addr: number, ctx: PacketContext): void {
    this.contexts.set(addr, ctx);
  }

  /** Forgets a context at the end of its run. */
  forget(addr: number): void {
    this.contexts.delete(addr);
  }

  context(addr: number): PacketContext | undefined {
    return this.contexts.get(addr);
  }

  /** Marks the context at `addr` as the one the run on `cpu` uses (undefined: the run ended). */
  enter(cpu: number, addr: number | undefined): void {
    this.current[cpu] = addr === undefined ? undefined : this.contexts.get(addr);
  }

  running(cpu: number): PacketContext | undefined {
    return this.current[cpu];
  }

  redirectInfo(cpu: number): RedirectInfo {
    let ri = this.redirects[cpu];
    if (!ri) {
      ri = { target: undefined, clones: [] };
      this.redirects[cpu] = ri;
    }
    return ri;
  }

  device(ifindex: number): NetDeviceInfo | undefined {
    const d = this.devices(ifindex);
    if (!d) return undefined;
    const loopback = d.name === 'lo';
    return {
      ifindex: d.ifindex, mtu: d.mtu ?? (loopback ? 65536 : 1500), hardHeaderLen: 14, mac: d.mac ?? ZERO_MAC,
      broadcast: d.broadcast ?? (loopback ? ZERO_MAC : BCAST), forwarding4: d.forwarding4 ?? false,
      forwarding6: d.forwarding6 ?? false, ...(d.peer !== undefined ? { peer: d.peer } : {}),
    };
  }

  mapAt(addr: number): BpfMap | undefined {
    return this.maps(addr);
  }

  fibLookup(q: FibQuery): FibAnswer {
    return this.fib.lookup(q, (i) => this.device(i));
  }

  socketLookup(q: SocketQuery): PacketSocket | undefined {
    return this.sockets.lookup(q);
  }

  socketAt(addr: number): PacketSocket | undefined {
    return this.sockets.at(addr);
  }

  socketCookie(sk: PacketSocket): bigint {
    return sk.cookie;
  }

  tcpSock(addr: number): number {
    const sk = this.sockets.at(addr) ?? this.tcpViews.owner(addr);
    if (!sk || sk.protocol !== IPPROTO_TCP || sk.state === TcpState.TIME_WAIT || sk.state === TcpState.NEW_SYN_RECV) return 0;
    return this.tcpViews.viewOf(sk);
  }

  socketRef(sk: PacketSocket, delta: 1 | -1): void {
    if (sk instanceof SimSocket && sk.refcounted) sk.refs += delta;
  }
}
