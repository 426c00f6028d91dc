import type { BasicBlock, FunctionCfg } from './cfg.js';
import type { GraphFacts } from './dominators.js';
import type { FuncBuilder } from './wasm/func.js';
import { Op } from './wasm/ops.js';

/** Emits the code of basic blocks; `structure` and `dispatch` place it and add the control flow. */
export interface NodeEmitter {
  /** Everything of a block but the control transfer of its terminator. */
  body(b: BasicBlock): void;
  /** Pushes the i32 condition of a `cond` block's terminator (non-zero: take the jump). */
  cond(b: BasicBlock): void;
  /** Emits what a `cond` block does only when it does not jump (may_goto counts down its budget). */
  notTaken(b: BasicBlock): void;
  /** Whether `notTaken` emits anything for the block. */
  hasNotTaken(b: BasicBlock): boolean;
  /** Returns from the function (the block ends in `exit`). */
  exit(b: BasicBlock): void;
  /** Stops with the fault of running past the last instruction. */
  offEnd(b: BasicBlock): void;
}

type Ctx = { readonly kind: 'block' | 'loop' | 'if'; readonly node: number };

/**
 * Structured control flow for a reducible graph, after Ramsey, "Beyond Relooper" (ICFP 2022): walk
 * the dominator tree; a node's children that are merge nodes follow it, each after a `block` whose
 * end it is reached by; a loop header wraps its subtree in a `loop`; a forward edge to a merge
 * node or a back edge is a `br` to the label that the context stack says encloses it, and any other
 * edge goes to a node the source alone dominates, whose code is placed right there.
 */
export function structure(f: FuncBuilder, cfg: FunctionCfg, g: GraphFacts, em: NodeEmitter): void {
  const ctx: Ctx[] = [];
  const labelDepth = (kind: 'block' | 'loop', node: number): number => {
    for (let i = ctx.length - 1; i >= 0; i--) if (ctx[i]!.kind === kind && ctx[i]!.node === node) return ctx.length - 1 - i;
    throw new Error(`no enclosing ${kind} for block ${node}`);
  };
  const backward = (x: number, y: number): boolean => g.rpoNum[y]! <= g.rpoNum[x]!;
  const isBr = (x: number, y: number): boolean => backward(x, y) || g.merge[y] === 1;
  const depthTo = (x: number, y: number): number => labelDepth(backward(x, y) ? 'loop' : 'block', y);

  const doBranch = (x: number, y: number): void => {
    if (isBr(x, y)) f.br(depthTo(x, y));
    else doTree(y);
  };
  const emitNode = (x: number): void => {
    const b = cfg.blocks[x]!;
    em.body(b);
    switch (b.term) {
      case 'exit': em.exit(b); return;
      case 'off-end': em.offEnd(b); return;
      case 'goto':
      case 'fall': doBranch(x, b.succs[0]!); return;
      case 'cond': {
        const [t, e] = b.succs as [number, number];
        em.cond(b);
        if (isBr(x, t)) {
          f.brIf(depthTo(x, t));
          em.notTaken(b);
          doBranch(x, e);
        } else if (isBr(x, e) && !em.hasNotTaken(b)) {
          f.op(Op.i32Eqz);
          f.brIf(depthTo(x, e));
          doBranch(x, t);
        } else {
          f.if();
          ctx.push({ kind: 'if', node: -1 });
          doBranch(x, t);
          f.else();
          em.notTaken(b);
          doBranch(x, e);
          ctx.pop();
          f.end();
        }
      }
    }
  };
  const nodeWithin = (x: number, merges: readonly number[], i: number): void => {
    if (i === merges.length) { emitNode(x); return; }
    const y = merges[i]!;
    f.block();
    ctx.push({ kind: 'block', node: y });
    nodeWithin(x, merges, i + 1);
    ctx.pop();
    f.end();
    doTree(y);
  };
  const doTree = (x: number): void => {
    const merges = g.children[x]!.filter((c) => g.merge[c] === 1).sort((a, b) => g.rpoNum[b]! - g.rpoNum[a]!);
    if (g.loopHeader[x] === 1) {
      f.loop();
      ctx.push({ kind: 'loop', node: x });
      nodeWithin(x, merges, 0);
      ctx.pop();
      f.end();
    } else {
      nodeWithin(x, merges, 0);
    }
  };
  doTree(cfg.entryBlock);
}

/**
 * The fallback for an irreducible graph: a `loop` around a `br_table` on a local holding the next
 * block's position, with every block's code after the `end` of its own `block`. A jump to the
 * block placed next falls through; any other sets the local and branches back to the loop.
 */
export function dispatch(f: FuncBuilder, cfg: FunctionCfg, g: GraphFacts, em: NodeEmitter, next: number): void {
  const order = g.rpo;
  const k = order.length;
  const pos = new Int32Array(cfg.blocks.length);
  order.forEach((b, i) => { pos[b] = i; });
  f.i32(pos[cfg.entryBlock]!);
  f.set(next);
  f.loop();
  for (let i = 0; i < k; i++) f.block();
  f.get(next);
  f.brTable(Array.from({ length: k }, (_, i) => i), k - 1);
  for (let i = 0; i < k; i++) {
    f.end();
    const b = cfg.blocks[order[i]!]!;
    const loopDepth = k - 1 - i;
    const goTo = (y: number, depth: number, mayFall: boolean): void => {
      if (mayFall && pos[y] === i + 1) return;
      f.i32(pos[y]!);
      f.set(next);
      f.br(depth);
    };
    em.body(b);
    switch (b.term) {
      case 'exit': em.exit(b); break;
      case 'off-end': em.offEnd(b); break;
      case 'goto':
      case 'fall': goTo(b.succs[0]!, loopDepth, true); break;
      case 'cond':
        em.cond(b);
        f.if();
        goTo(b.succs[0]!, loopDepth + 1, false);
        f.end();
        em.notTaken(b);
        goTo(b.succs[1]!, loopDepth, true);
    }
  }
  f.end();
}
