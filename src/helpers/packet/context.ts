import { BpfError } from '../../errors.js';
import type { HelperCall } from '../types.js';
import type { NetEnv, PacketContext, SkBuff, XdpBuff } from '../packet.js';

/** A packet helper called with arguments no verified program could pass (no context, a wild pointer). */
export class PacketHelperFault extends BpfError {
  constructor(helper: string, detail: string) {
    super('EFAULT', `${helper}: ${detail}`);
  }
}

/** The Machine's network state (`HelperEnv.net`), or a fault when the machine has none. */
export function netOf(c: HelperCall, helper: string): NetEnv {
  const net = (c.env as { readonly net?: NetEnv }).net;
  if (!net) throw new PacketHelperFault(helper, 'this machine has no network state');
  return net;
}

/** The context r1 points at. */
export function ctxOf(c: HelperCall, helper: string): PacketContext {
  const addr = c.hi[1] === 0 ? c.lo[1]! >>> 0 : -1;
  const ctx = netOf(c, helper).context(addr);
  if (!ctx) throw new PacketHelperFault(helper, `r1 = 0x${(addr >>> 0).toString(16)} is not the context of a run in progress`);
  return ctx;
}

/** The context of the run in progress on the calling CPU. */
export function runningCtx(c: HelperCall, helper: string): PacketContext {
  const ctx = netOf(c, helper).running(c.cpu);
  if (!ctx) throw new PacketHelperFault(helper, 'called outside a run with a packet context');
  return ctx;
}

/** The skb r1 points at. */
export function skbOf(c: HelperCall, helper: string): SkBuff {
  const ctx = ctxOf(c, helper);
  if (ctx.kind !== 'skb') throw new PacketHelperFault(helper, `needs an __sk_buff context, not ${ctx.kind}`);
  return ctx;
}

/** The XDP buffer r1 points at. */
export function xdpOf(c: HelperCall, helper: string): XdpBuff {
  const ctx = ctxOf(c, helper);
  if (ctx.kind !== 'xdp') throw new PacketHelperFault(helper, `needs an xdp_md context, not ${ctx.kind}`);
  return ctx;
}

/**
 * `len` bytes of program memory at argument `i` (a view into the arena), checked against the
 * region table: a fault when they are not all inside one mapped region (or it is read-only and the
 * helper writes).
 */
export function memArg(c: HelperCall, helper: string, i: number, len: number, write: boolean): Uint8Array {
  const arena = c.env.arena;
  if (len === 0) return new Uint8Array(0);
  const addr = c.hi[i] === 0 ? c.lo[i]! >>> 0 : -1;
  const r = addr >= 0 ? arena.find(addr, len) : undefined;
  if (!r || (write && !r.writable)) {
    throw new PacketHelperFault(helper, `r${i} = 0x${(addr >>> 0).toString(16)} is not ${len} ${write ? 'writable' : 'readable'} bytes of program memory`);
  }
  arena.refresh();
  return arena.u8.subarray(addr, addr + len);
}

/** Argument `i` as a signed 32-bit int (`int` parameters). */
export function argS32(c: HelperCall, i: number): number {
  return c.lo[i]!;
}

/** Argument `i` as a u64 in a double, exact below 2^53 (flags: any high bit makes it non-zero). */
export function argU64n(c: HelperCall, i: number): number {
  return (c.hi[i]! >>> 0) * 4294967296 + (c.lo[i]! >>> 0);
}
