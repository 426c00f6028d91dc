import type { PacketSocket } from '../packet.js';
import type { HelperCall } from '../types.js';
import { argU64n, ctxOf, memArg, netOf, skbOf } from './context.js';
import { CG_SKB, SK_FILTER, SK_SKB, SOCK, SOCK_ADDR, SOCK_OPS, TC, XDP, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';

const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** `sizeof(bpf_sock_tuple.ipv4)` and `.ipv6`. */
const TUPLE4 = 12;
const TUPLE6 = 36;
/** States `sk_to_full_sk` cannot turn into a full socket: time-wait; request sockets stand for their listener. */
const TCP_TIME_WAIT = 6;
const TCP_NEW_SYN_RECV = 12;

/** The types that may look sockets up (`cg_skb`, tc, XDP, sk_skb, sock_addr `*_func_proto`). */
const LOOKUP = [...CG_SKB, ...TC, ...XDP, ...SK_SKB, ...SOCK_ADDR];

/**
 * `__bpf_skc_lookup`: the socket a tuple reaches, in the caller's network namespace (a netns id of
 * 0 or more names another one, which bpfsim's single namespace does not have); NULL for a tuple of
 * the wrong size or flags.
 */
function lookup(c: HelperCall, helper: string, protocol: number, full: boolean): number {
  const ctx = ctxOf(c, helper);
  const net = netOf(c, helper);
  const len = c.lo[3]! >>> 0;
  const family = len === TUPLE4 ? AF_INET : len === TUPLE6 ? AF_INET6 : 0;
  if (!family) return 0;
  if (argU64n(c, 5) !== 0 || c.lo[4]! >= 0) return 0;
  const t = memArg(c, helper, 2, len, false);
  const n = family === AF_INET ? 4 : 16;
  const port = (at: number) => (t[at]! << 8) | t[at + 1]!;
  const ifindex = ctx.kind === 'xdp' ? ctx.ingressIfindex : ctx.kind === 'skb' ? ctx.ifindex : 0;
  const sk = net.socketLookup({
    family, protocol, saddr: t.slice(0, n), daddr: t.slice(n, 2 * n), sport: port(2 * n), dport: port(2 * n + 2), ifindex,
  });
  if (!sk) return 0;
  if (full && sk.state === TCP_TIME_WAIT) return 0;
  net.socketRef(sk, 1);
  return sk.address;
}

const lookupProto = { ret: 'socket_or_null', args: ['ctx', 'mem', 'const_size', 'anything', 'anything'] } as const;

/** `bpf_sk_lookup_tcp(ctx, tuple, tuple_size, netns, flags)`: a full TCP socket (listener or established), referenced. */
export const skLookupTcp: PacketHelperDef = packetHelper('sk_lookup_tcp', lookupProto, LOOKUP, (c) => lookup(c, 'bpf_sk_lookup_tcp', IPPROTO_TCP, true));

/** `bpf_sk_lookup_udp(ctx, tuple, tuple_size, netns, flags)`: a UDP socket. */
export const skLookupUdp: PacketHelperDef = packetHelper('sk_lookup_udp', lookupProto, LOOKUP, (c) => lookup(c, 'bpf_sk_lookup_udp', IPPROTO_UDP, true));

/** `bpf_skc_lookup_tcp(ctx, tuple, tuple_size, netns, flags)`: any TCP socket, time-wait and request sockets included. */
export const skcLookupTcp: PacketHelperDef = packetHelper('skc_lookup_tcp',
  { ret: 'sock_common_or_null', args: ['ctx', 'mem', 'const_size', 'anything', 'anything'] }, LOOKUP,
  (c) => lookup(c, 'bpf_skc_lookup_tcp', IPPROTO_TCP, false));

/** `bpf_sk_release(sk)`: drops the reference a lookup took; 0. */
export const skRelease: PacketHelperDef = packetHelper('sk_release', { ret: 'integer', args: ['socket_release'] }, LOOKUP, (c) => {
  const net = netOf(c, 'bpf_sk_release');
  const sk = net.socketAt(c.hi[1] === 0 ? c.lo[1]! >>> 0 : -1);
  if (sk && sk.state !== TCP_NEW_SYN_RECV) net.socketRef(sk, -1);
  return 0;
});

/** `bpf_sk_fullsock(sk)`: the socket itself unless it is a request or time-wait socket. */
export const skFullsock: PacketHelperDef = packetHelper('sk_fullsock', { ret: 'socket_or_null', args: ['sock_common'] }, [...CG_SKB, ...TC], (c) => {
  const addr = c.hi[1] === 0 ? c.lo[1]! >>> 0 : 0;
  const sk = netOf(c, 'bpf_sk_fullsock').socketAt(addr);
  return sk && sk.state !== TCP_TIME_WAIT && sk.state !== TCP_NEW_SYN_RECV ? addr : 0;
});

/** `overflowuid`: what `bpf_get_socket_uid` answers without a full socket. */
const OVERFLOW_UID = 65534;

/** `bpf_get_socket_uid(skb)`: the owner of `skb->sk` (a request socket's stands for its listener's); overflowuid without a full socket. */
export const getSocketUid: PacketHelperDef = packetHelper('get_socket_uid', { ret: 'integer', args: ['ctx'] },
  [...SK_FILTER, ...TC, ...SK_SKB], (c) => {
    const sk = skbOf(c, 'bpf_get_socket_uid').sk;
    return sk && sk.state !== TCP_TIME_WAIT ? sk.uid : OVERFLOW_UID;
  });

/** `bpf_get_socket_cookie(ctx)`: the cookie of the context's socket (`skb->sk`, the sock_addr/sock_ops socket), 0 without one. */
export const getSocketCookie: PacketHelperDef = packetHelper('get_socket_cookie', { ret: 'integer', args: ['ctx'] },
  [...SK_FILTER, ...TC, ...SK_SKB, ...SOCK, ...SOCK_ADDR, ...SOCK_OPS], (c) => {
    const ctx = ctxOf(c, 'bpf_get_socket_cookie');
    const sk: PacketSocket | undefined = ctx.kind === 'skb' || ctx.kind === 'sock_addr' || ctx.kind === 'sock' || ctx.kind === 'sock_ops' ? ctx.sk : undefined;
    return sk ? netOf(c, 'bpf_get_socket_cookie').socketCookie(sk) : 0;
  });
