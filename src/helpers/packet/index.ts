/*
 * Packet and socket helpers with the kernel's semantics and errno values, over the packet models
 * and network state the VM provides through `NetEnv` (src/helpers/packet.ts).
 */
import type { PacketHelperDef } from './def.js';
import { fibLookup } from './fib.js';
import { cloneRedirect, redirect, redirectMap, redirectNeigh, redirectPeer } from './redirect.js';
import { csumDiff, csumLevel, csumUpdate, l3CsumReplace, l4CsumReplace } from './skbCsum.js';
import { skbChangeHead, skbChangeTail, skbChangeType, skbLoadBytes, skbLoadBytesRelative, skbPullData, skbStoreBytes } from './skbData.js';
import { skbAdjustRoom, skbChangeProto, skbVlanPop, skbVlanPush } from './skbLayout.js';
import { getCgroupClassid, getHashRecalc, setHash, setHashInvalid, skbGetTunnelKey, skbSetTunnelKey } from './skbMeta.js';
import { getSocketCookie, getSocketUid, skFullsock, skLookupTcp, skLookupUdp, skRelease, skcLookupTcp } from './sockets.js';
import { skRedirectHash, skRedirectMap } from './sockRedirect.js';
import { tcpSock } from './tcpSock.js';
import { xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail, xdpGetBuffLen, xdpLoadBytes, xdpStoreBytes } from './xdp.js';

export * from './csum.js';
export { packetHelper } from './def.js';
export type { PacketHelperDef } from './def.js';
export { PacketHelperFault } from './context.js';
export { BPF_FIB_LOOKUP_SIZE, BpfFibLookup } from './fib.js';
export { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_INGRESS } from './redirect.js';
export { BPF_CSUM_LEVEL, CSUM_FLAGS } from './skbCsum.js';
export { BPF_F_INVALIDATE_HASH, BPF_F_RECOMPUTE_CSUM, BPF_HDR_START, BPF_SKB_MAX_LEN } from './skbData.js';
export { ADJ_ROOM } from './skbLayout.js';
export { SK_DROP, SK_PASS } from './sockRedirect.js';
export { TUNINFO, TUNNEL } from './skbMeta.js';

/** Every packet and socket helper bpfsim implements. */
export function packetHelpers(): PacketHelperDef[] {
  return [
    xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail, xdpGetBuffLen, xdpLoadBytes, xdpStoreBytes,
    redirect, redirectMap, redirectPeer, redirectNeigh, cloneRedirect,
    skbLoadBytes, skbLoadBytesRelative, skbStoreBytes, skbPullData, skbChangeTail, skbChangeHead, skbChangeType,
    skbAdjustRoom, skbChangeProto, skbVlanPush, skbVlanPop,
    l3CsumReplace, l4CsumReplace, csumDiff, csumUpdate, csumLevel,
    getHashRecalc, setHash, setHashInvalid, getCgroupClassid, skbGetTunnelKey, skbSetTunnelKey,
    fibLookup, skLookupTcp, skLookupUdp, skcLookupTcp, skRelease, skFullsock, tcpSock, getSocketCookie, getSocketUid,
    skRedirectMap, skRedirectHash,
  ];
}
