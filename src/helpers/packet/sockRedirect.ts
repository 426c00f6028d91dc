/*
 * The sk_skb verdict helpers that send a stream's data to another socket of a SOCKMAP or SOCKHASH
 * (net/core/sock_map.c): they record the target on the skb and return SK_PASS, which the verdict
 * then turns into a redirect; SK_DROP when the flags, the entry or the target's state refuse it.
 */
import { SockMap } from '../../maps/index.js';
import { BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_SOCKMAP } from '../../uapi.js';
import type { HelperCall } from '../types.js';
import type { MapSocket } from '../../maps/index.js';
import { argU64n, memArg, netOf, skbOf } from './context.js';
import { SK_SKB, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';
import { BPF_F_INGRESS } from './redirect.js';

/** `SK_DROP`: the verdict that drops the data. */
export const SK_DROP = 0;
/** `SK_PASS`: the verdict that lets the data through (or redirects it, after a redirect helper). */
export const SK_PASS = 1;

const IPPROTO_TCP = 6;
const TCP_ESTABLISHED = 1;
const TCP_LISTEN = 10;
const AF_VSOCK = 40;

/** `sock_map_redirect_allowed`: TCP sockets other than listeners; other sockets when connected. */
function redirectAllowed(c: HelperCall, helper: string, sock: MapSocket): boolean {
  const sk = netOf(c, helper).socketAt(sock.address);
  if (!sk) return false;
  return sk.protocol === IPPROTO_TCP ? sk.state !== TCP_LISTEN : sk.state === TCP_ESTABLISHED;
}

/** Records the redirect (`skb_bpf_set_redir`) when the flags, entry and target allow it. */
function setRedirect(c: HelperCall, helper: string, map: SockMap | undefined, sock: MapSocket | undefined, key: number | Uint8Array): number {
  skbOf(c, helper);
  const flags = argU64n(c, 4);
  if (c.hi[4] !== 0 || (flags & ~BPF_F_INGRESS) !== 0) return SK_DROP;
  if (!map || !sock || !redirectAllowed(c, helper, sock)) return SK_DROP;
  const ingress = (flags & BPF_F_INGRESS) !== 0;
  if (ingress && sock.family === AF_VSOCK) return SK_DROP;
  netOf(c, helper).redirectInfo(c.cpu).target = { kind: 'sock', mapType: map.type, mapId: map.id, key, cookie: sock.cookie, ingress };
  return SK_PASS;
}

/** The SOCKMAP or SOCKHASH r2 points at, when it is one of `type`. */
function sockMapArg(c: HelperCall, helper: string, type: number): SockMap | undefined {
  const map = netOf(c, helper).mapAt(c.hi[2] === 0 ? c.lo[2]! >>> 0 : -1);
  return map instanceof SockMap && map.type === type ? map : undefined;
}

/** `bpf_sk_redirect_map(skb, map, key, flags)`: to the socket at a SOCKMAP index; BPF_F_INGRESS only. */
export const skRedirectMap: PacketHelperDef = packetHelper('sk_redirect_map',
  { ret: 'integer', args: ['ctx', 'const_map_ptr', 'anything', 'anything'] }, SK_SKB, (c) => {
    const map = sockMapArg(c, 'bpf_sk_redirect_map', BPF_MAP_TYPE_SOCKMAP);
    const key = c.lo[3]! >>> 0;
    return setRedirect(c, 'bpf_sk_redirect_map', map, map?.socketByIndex(key), key);
  });

/** `bpf_sk_redirect_hash(skb, map, key, flags)`: to the socket under a SOCKHASH key; BPF_F_INGRESS only. */
export const skRedirectHash: PacketHelperDef = packetHelper('sk_redirect_hash',
  { ret: 'integer', args: ['ctx', 'const_map_ptr', 'map_key', 'anything'] }, SK_SKB, (c) => {
    const map = sockMapArg(c, 'bpf_sk_redirect_hash', BPF_MAP_TYPE_SOCKHASH);
    if (!map) return SK_DROP;
    const keyAddr = c.lo[3]! >>> 0;
    const key = memArg(c, 'bpf_sk_redirect_hash', 3, map.keySize, false).slice();
    return setRedirect(c, 'bpf_sk_redirect_hash', map, map.socketAt(keyAddr), key);
  });
