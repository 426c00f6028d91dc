/**
 * Callbacks (push_callback_call, setup_func_entry and the set_*_callback_state functions, Linux
 * 6.18). A helper that calls a BPF function — bpf_loop, bpf_for_each_map_elem — is verified as if
 * the call might run the callback once more: a copy of the state at the call, with a new frame for
 * the callback and its arguments set up as the helper passes them, is queued; when that callback
 * exits, its path goes back to the helper call, which queues yet another iteration until the states
 * at the call converge (or, for bpf_loop, the iteration count is reached). The path that does not
 * run the callback goes on after the call. A timer callback runs later, on its own: it is verified
 * from a state with its frame alone.
 */
import { ERRNO } from '../errno.js';
import { DynptrType } from '../helpers/dynptrLayout.js';
import type { Env } from './env.js';
import { fail } from './log.js';
import { type MapInfo, RegState, RegType, copyReg, markNotInit, markPtr, markRegUnknown } from './regState.js';
import { FuncState, VerifierState } from './state.js';
import type { Walker } from './walker.js';

const MAX_CALL_FRAMES = 8;

/** How a callback's frame starts: its registers from the caller's, and the values it may return. */
export interface CallbackSetup {
  /** Sets the callee's r1-r5 from the caller's registers at the helper call. */
  readonly args: (caller: FuncState, callee: FuncState) => void;
  /** The range r0 must be in at the callback's exit. */
  readonly ret: readonly [number, number];
  /** The callback runs asynchronously (a timer): verified alone, its exit ends the path. */
  readonly async: boolean;
}

function mapPtr(r: RegState, type: number, map: MapInfo): void {
  markPtr(r, type);
  r.map = map;
}

/** set_loop_callback_state: `cb(u32 index, void *ctx)`. */
export const LoopCallback: CallbackSetup = {
  args: (caller, callee) => {
    markRegUnknown(callee.regs[1]!);
    copyReg(callee.regs[2]!, caller.regs[3]!);
  },
  ret: [0, 1],
  async: false,
};

/** set_map_elem_callback_state: `cb(struct bpf_map *map, key *k, value *v, void *ctx)`. */
export function ForEachCallback(map: MapInfo): CallbackSetup {
  return {
    args: (caller, callee) => {
      copyReg(callee.regs[1]!, caller.regs[1]!);
      mapPtr(callee.regs[2]!, RegType.MAP_KEY, map);
      mapPtr(callee.regs[3]!, RegType.MAP_VALUE, map);
      copyReg(callee.regs[4]!, caller.regs[3]!);
    },
    ret: [0, 1],
    async: false,
  };
}

/** set_timer_callback_state: `cb(struct bpf_map *map, key *k, value *v)`, returning 0. */
export function TimerCallback(map: MapInfo): CallbackSetup {
  return {
    args: (_caller, callee) => {
      mapPtr(callee.regs[1]!, RegType.CONST_MAP, map);
      mapPtr(callee.regs[2]!, RegType.MAP_KEY, map);
      mapPtr(callee.regs[3]!, RegType.MAP_VALUE, map);
    },
    ret: [0, 0],
    async: true,
  };
}

/** set_user_ringbuf_callback_state: `cb(const struct bpf_dynptr *dynptr, void *ctx)`, the dynptr local with id `dynptrId`. */
export function UserRingbufCallback(dynptrId: number): CallbackSetup {
  return {
    args: (caller, callee) => {
      const d = markPtr(callee.regs[1]!, RegType.CONST_DYNPTR);
      d.id = dynptrId;
      d.dynptrType = DynptrType.LOCAL;
      d.dynptrFirst = true;
      copyReg(callee.regs[2]!, caller.regs[3]!);
    },
    ret: [0, 1],
    async: false,
  };
}

function newFrame(env: Env, frameno: number, callsite: number, start: number): FuncState {
  const f = new FuncState(frameno, callsite, env.shape.subprogOf[start]!);
  for (let r = 0; r < 10; r++) markNotInit(f.regs[r]!);
  return f;
}

/** push_callback_call: queues a run of the callback starting at instruction `start` from the current call. */
export function pushCallbackCall(env: Env, walker: Walker, start: number, setup: CallbackSetup): void {
  const st = env.st;
  const caller = st.cur;
  const callsite = env.insnIdx;
  if (setup.async) {
    const callee = newFrame(env, 0, -1, start);
    callee.inAsyncCallbackFn = true;
    callee.callbackRet = setup.ret;
    setup.args(caller, callee);
    const queued = new VerifierState([callee]);
    queued.insnIdx = start;
    queued.firstInsnIdx = start;
    walker.push(start, callsite, queued);
    return;
  }
  if (st.frames.length >= MAX_CALL_FRAMES) fail(ERRNO.E2BIG, `the call stack of ${st.frames.length + 1} frames is too deep`);
  const queued = walker.push(start, callsite);
  const callee = newFrame(env, queued.frames.length, callsite, start);
  callee.inCallbackFn = true;
  callee.callbackRet = setup.ret;
  setup.args(queued.cur, callee);
  queued.frames.push(callee);
  queued.callbackUnrollDepth++;
  queued.frames[queued.frames.length - 2]!.callbackDepth++;
  caller.callbackDepth = 0;
}
