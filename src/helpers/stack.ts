import { ERRNO } from '../errno.js';
import {
  BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID, BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK, BPF_STACK_BUILD_ID_IP, StackTraceMap,
} from '../maps/index.js';
import { argU32, argU64 } from './args.js';
import { HelperFault } from './fault.js';
import { mapArg, ptrArg } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperCall, HelperDef } from './types.js';

/** bpf_get_stack flag: entries are `struct bpf_stack_build_id` (needs BPF_F_USER_STACK). */
export const BPF_F_USER_BUILD_ID = 1 << 11;
/** The deepest callchain the kernel collects (`sysctl kernel.perf_event_max_stack`). */
const MAX_STACK = 127;

/** The current task's kernel or user stack (innermost first), cut to `depth` frames as the callchain is. */
function callchain(c: HelperCall, user: boolean, depth: number): readonly bigint[] {
  const t = c.env.task;
  return (t ? (user ? t.userStack : t.kernelStack) : []).slice(0, Math.min(depth, MAX_STACK));
}

/**
 * `bpf_get_stackid(ctx, map, flags)`: stores the current task's simulated kernel stack (or user
 * stack with BPF_F_USER_STACK), less `flags & 0xff` frames, in a STACK_TRACE map and returns its
 * id: -EINVAL for unknown flags, -EFAULT when no frame is left, -EEXIST or -ENOMEM from the map.
 */
export const getStackid: HelperDef = defineHelper('get_stackid',
  { ret: 'integer', args: ['ctx', 'const_map_ptr', 'anything'], gplOnly: true },
  (c) => {
    const map = mapArg(c, 27, 2);
    const flags = argU64(c, 3);
    if (flags & ~BigInt(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID)) return -ERRNO.EINVAL;
    if (!(map instanceof StackTraceMap)) throw new HelperFault(27, `map ${map.label} is not a stack trace map`);
    const f = Number(flags);
    const skip = f & BPF_F_SKIP_FIELD_MASK;
    const trace = callchain(c, (f & BPF_F_USER_STACK) !== 0, skip + map.depth);
    return trace.length <= skip ? -ERRNO.EFAULT : map.stackId(trace.slice(skip), skip, f);
  });

/**
 * `bpf_get_stack(ctx, buf, size, flags)`: copies the stack's frames (8 bytes each, or 32-byte
 * build-id entries holding IPs with BPF_F_USER_BUILD_ID) into buf, zeroes the rest, returns the
 * bytes copied; errors (-EINVAL for flags or a size that is not a multiple of an entry, -EFAULT
 * when no frame is left) zero the whole buffer.
 */
export const getStack: HelperDef = defineHelper('get_stack',
  { ret: 'integer', args: ['ctx', 'uninit_mem', 'const_size_or_zero', 'anything'], gplOnly: true },
  (c) => {
    const buf = ptrArg(c, 67, 2);
    const size = argU32(c, 3);
    const flags = argU64(c, 4);
    const u8 = c.env.arena.u8;
    const fail = (errno: number): number => {
      u8.fill(0, buf, buf + size);
      return -errno;
    };
    const f = Number(flags & 0xffffffffn);
    const user = (f & BPF_F_USER_STACK) !== 0;
    const buildId = (f & BPF_F_USER_BUILD_ID) !== 0;
    if (flags & ~BigInt(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID) || (buildId && !user)) return fail(ERRNO.EINVAL);
    const elem = buildId ? 32 : 8;
    if (size % elem) return fail(ERRNO.EINVAL);
    const skip = f & BPF_F_SKIP_FIELD_MASK;
    const num = size / elem;
    const trace = callchain(c, user, num + skip);
    if (trace.length <= skip) return fail(ERRNO.EFAULT);
    const frames = trace.slice(skip, skip + num);
    u8.fill(0, buf, buf + size);
    const view = c.env.arena.view;
    frames.forEach((ip, i) => {
      if (buildId) view.setInt32(buf + elem * i, BPF_STACK_BUILD_ID_IP, true);
      view.setBigUint64(buf + elem * i + (buildId ? 24 : 0), ip, true);
    });
    return frames.length * elem;
  });

/** `bpf_get_func_ip(ctx)`: the address of the function the program is attached to (Machine.attach.funcIp). */
export const getFuncIp: HelperDef = defineHelper('get_func_ip', { ret: 'integer', args: ['ctx'], gplOnly: true },
  (c) => c.env.attach?.funcIp ?? 0n);

/** `bpf_get_attach_cookie(ctx)`: the cookie of the program's attachment (Machine.attach.cookie). */
export const getAttachCookie: HelperDef = defineHelper('get_attach_cookie', { ret: 'integer', args: ['ctx'] },
  (c) => c.env.attach?.cookie ?? 0n);

/** The stack and attachment helpers of tracing programs. */
export const stackHelpers: readonly HelperDef[] = [getStackid, getStack, getFuncIp, getAttachCookie];
