import { ERRNO } from '../errno.js';
import { argPtr, argU32 } from './args.js';
import type { NetEnv } from './packet.js';
import type { HelperCall, HelperImpl } from './types.js';

/** A kernel function a program may call (BPF_PSEUDO_KFUNC_CALL), known by its BTF name. */
export interface KfuncDef {
  /** The kernel's name, e.g. `bpf_iter_num_new`. */
  readonly name: string;
  /** What it does at run time; arguments and r0 as for helpers. */
  readonly impl: HelperImpl;
}

/** The kernel's `BPF_MAX_LOOPS`: the longest range an open-coded number iterator may cover. */
const BPF_MAX_LOOPS = 8 * 1024 * 1024;

/** `struct bpf_iter_num` is 8 opaque bytes: the current value and the end, as two s32. */
function iterAddr(c: HelperCall): number {
  return argPtr(c, 1);
}

/**
 * `bpf_iter_num_new(it, start, end)`: 0, or -EINVAL when start > end, -E2BIG when the range is
 * longer than BPF_MAX_LOOPS; the iterator is emptied on failure, as Linux does.
 */
const iterNumNew: HelperImpl = (c) => {
  const v = c.env.arena.view;
  const it = iterAddr(c);
  const start = argU32(c, 2) | 0;
  const end = argU32(c, 3) | 0;
  const fail = (errno: number): number => {
    v.setInt32(it, 0, true);
    v.setInt32(it + 4, 0, true);
    return -errno;
  };
  if (start > end) return fail(ERRNO.EINVAL);
  if (end - start > BPF_MAX_LOOPS) return fail(ERRNO.E2BIG);
  v.setInt32(it, start - 1, true);
  v.setInt32(it + 4, end, true);
  return 0;
};

/** `bpf_iter_num_next(it)`: a pointer to the next value (inside the iterator), or NULL at the end. */
const iterNumNext: HelperImpl = (c) => {
  const v = c.env.arena.view;
  const it = iterAddr(c);
  const cur = v.getInt32(it, true);
  const end = v.getInt32(it + 4, true);
  if (cur + 1 >= end) {
    v.setInt32(it, 0, true);
    v.setInt32(it + 4, 0, true);
    return 0;
  }
  v.setInt32(it, cur + 1, true);
  return it;
};

/** `bpf_iter_num_destroy(it)`: ends the iteration. */
const iterNumDestroy: HelperImpl = (c) => {
  c.env.arena.view.setInt32(iterAddr(c) + 4, 0, true);
  return 0;
};

/**
 * `bpf_cast_to_kern_ctx(ctx)`: an XDP frame's kernel `struct xdp_buff`, an skb's `struct sk_buff`
 * (synced first, so it holds what the program stored into `__sk_buff`); for other contexts, the
 * context itself.
 */
const castToKernCtx: HelperImpl = (c) => {
  const addr = argPtr(c, 1);
  const ctx = (c.env as { readonly net?: NetEnv }).net?.context(addr);
  if (ctx?.kind === 'skb') {
    ctx.sync();
    return ctx.kernCtx;
  }
  return ctx?.kind === 'xdp' ? ctx.kernCtx : addr;
};

/** The kfuncs bpfsim implements, by name (a Machine numbers them by its target BTF). */
export const defaultKfuncs: readonly KfuncDef[] = [
  { name: 'bpf_rcu_read_lock', impl: () => 0 },
  { name: 'bpf_rcu_read_unlock', impl: () => 0 },
  { name: 'bpf_iter_num_new', impl: iterNumNew },
  { name: 'bpf_iter_num_next', impl: iterNumNext },
  { name: 'bpf_iter_num_destroy', impl: iterNumDestroy },
  { name: 'bpf_cast_to_kern_ctx', impl: castToKernCtx },
];
