/** Facts about a control-flow graph that structuring needs. */
export interface GraphFacts {
  /** Nodes in reverse postorder of a depth-first search from the entry. */
  readonly rpo: readonly number[];
  /** Position of each node in `rpo`. */
  readonly rpoNum: Int32Array;
  /** Immediate dominator of each node (the entry's is itself). */
  readonly idom: Int32Array;
  /** Children of each node in the dominator tree. */
  readonly children: readonly number[][];
  /** 1 for the target of a back edge. */
  readonly loopHeader: Uint8Array;
  /** 1 for a node with two or more forward in-edges (a join that needs a `block` to reach it). */
  readonly merge: Uint8Array;
  /** Whether every retreating edge goes to a node that dominates its source. */
  readonly reducible: boolean;
}

function postorder(succs: readonly (readonly number[])[], entry: number): number[] {
  const seen = new Uint8Array(succs.length);
  const order: number[] = [];
  const stack: [number, number][] = [[entry, 0]];
  seen[entry] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const ss = succs[top[0]]!;
    if (top[1] < ss.length) {
      const s = ss[top[1]++]!;
      if (!seen[s]) { seen[s] = 1; stack.push([s, 0]); }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

/**
 * Reverse postorder, dominators (Cooper, Harvey and Kennedy's iterative algorithm), loop headers,
 * merge nodes and reducibility of a graph whose nodes are all reachable from `entry`.
 */
export function analyseGraph(succs: readonly (readonly number[])[], entry: number): GraphFacts {
  const n = succs.length;
  const rpo = postorder(succs, entry).reverse();
  const rpoNum = new Int32Array(n).fill(-1);
  rpo.forEach((b, i) => { rpoNum[b] = i; });
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let b = 0; b < n; b++) for (const s of succs[b]!) preds[s]!.push(b);
  const idom = new Int32Array(n).fill(-1);
  idom[entry] = entry;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpoNum[a]! > rpoNum[b]!) a = idom[a]!;
      while (rpoNum[b]! > rpoNum[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const b of rpo) {
      if (b === entry) continue;
      let d = -1;
      for (const p of preds[b]!) if (idom[p]! >= 0) d = d < 0 ? p : intersect(p, d);
      if (idom[b] !== d) { idom[b] = d; changed = true; }
    }
  }
  const children: number[][] = Array.from({ length: n }, () => []);
  for (const b of rpo) if (b !== entry) children[idom[b]!]!.push(b);
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = idom[x]!) {
      if (x === a) return true;
      if (x === entry) return false;
    }
  };
  const loopHeader = new Uint8Array(n);
  const forwardIn = new Int32Array(n);
  let reducible = true;
  for (let b = 0; b < n; b++) {
    for (const s of succs[b]!) {
      if (rpoNum[s]! <= rpoNum[b]!) {
        loopHeader[s] = 1;
        if (!dominates(s, b)) reducible = false;
      } else {
        forwardIn[s]!++;
      }
    }
  }
  const merge = new Uint8Array(n);
  for (let b = 0; b < n; b++) if (forwardIn[b]! >= 2) merge[b] = 1;
  return { rpo, rpoNum, idom, children, loopHeader, merge, reducible };
}
