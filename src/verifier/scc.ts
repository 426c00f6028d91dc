/**
 * Loops as strongly connected components of the control-flow graph (Linux 6.18's compute_scc and
 * bpf_scc_visit). Inside a loop, the precision marks a checkpoint has are not final while paths
 * through the loop are still being explored, so a checkpoint in a loop is compared by range
 * (RANGE_WITHIN), and each such match is kept as a back edge. When the path that entered the loop
 * (for one call chain) has finished, precision is propagated along the back edges until nothing
 * changes, which completes the marks of the loop's checkpoints.
 */
import type { Env } from './env.js';
import { propagatePrecision, markAllScalarsPrecise } from './precision.js';
import type { VerifierState } from './state.js';

const MAX_BACKEDGE_ITERS = 64;

/**
 * Tarjan's algorithm over instructions (calls fall through, as within one function): for each
 * instruction the id of its loop (1, 2, ...), 0 when it is in none. A single instruction is a loop
 * only when it jumps to itself.
 */
export function computeScc(succ1: Int32Array, succ2: Int32Array, n: number): Int32Array {
  const scc = new Int32Array(n);
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  let counter = 0;
  let next = 1;
  const work: [number, number][] = [];
  for (let root = 0; root < n; root++) {
    if (index[root]! >= 0 || succ1[root] === -2) continue;
    work.push([root, 0]);
    while (work.length) {
      const top = work[work.length - 1]!;
      const [v, k] = top;
      if (k === 0) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = 1;
      }
      const succs = [succ1[v]!, succ2[v]!];
      if (k < 2) {
        top[1] = k + 1;
        const w = succs[k]!;
        if (w < 0) continue;
        if (index[w]! < 0) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length) {
        const p = work[work.length - 1]![0];
        low[p] = Math.min(low[p]!, low[v]!);
      }
      if (low[v] !== index[v]) continue;
      const members: number[] = [];
      for (;;) {
        const w = stack.pop()!;
        onStack[w] = 0;
        members.push(w);
        if (w === v) break;
      }
      if (members.length > 1 || succs.includes(v)) {
        for (const w of members) scc[w] = next;
        next++;
      }
    }
  }
  return scc;
}

interface Visit {
  entry: VerifierState | null;
  backedges: VerifierState[];
}

/** The loop visits of one verification (bpf_scc_info). */
export class SccVisits {
  private readonly visits = new Map<string, Visit>();
  /** Back-edge states kept, for the statistics. */
  backedgeCount = 0;

  constructor(private readonly env: Env) {}

  /** free_states between two walks: the loop visits go, the back-edge count of the statistics stays. */
  reset(): void {
    this.visits.clear();
  }

  /** compute_scc_callchain: the call sites leading to the outermost frame that is in a loop, and the loop. */
  private key(st: VerifierState): string | null {
    const scc = this.env.aux.scc;
    for (let i = 0; i < st.frames.length; i++) {
      const id = scc[st.frameInsn(i)]!;
      if (id) {
        let sites = '';
        for (let j = 0; j < i; j++) sites += `${j ? ',' : ''}${st.frameInsn(j)}`;
        return `${sites}|${id}`;
      }
      if (i === st.curframe) return null;
    }
    return null;
  }

  /** maybe_enter_scc: a new checkpoint `st`; if it is in a loop with no entry yet, it becomes the entry. */
  enter(st: VerifierState): void {
    const k = this.key(st);
    if (k === null) return;
    let v = this.visits.get(k);
    if (!v) { v = { entry: null, backedges: [] }; this.visits.set(k, v); }
    v.entry ??= st;
  }

  /** maybe_exit_scc: every path from `st` is done; if it entered a loop, finish the loop's precision marks. */
  exit(st: VerifierState): void {
    const k = this.key(st);
    if (k === null) return;
    const v = this.visits.get(k);
    if (!v || v.entry !== st) return;
    v.entry = null;
    this.backedgeCount -= v.backedges.length;
    this.propagateBackedges(v);
  }

  /** add_scc_backedge: `backedge` (a copy of the current state) was found equal to the checkpoint `old`. */
  addBackedge(old: VerifierState, backedge: VerifierState): void {
    const k = this.key(old);
    const v = k === null ? undefined : this.visits.get(k);
    if (!v) {
      markAllScalarsPrecise(backedge);
      return;
    }
    v.backedges.push(backedge);
    this.backedgeCount++;
  }

  /** incomplete_read_marks: `st` is in a loop some of whose paths are still being explored. */
  incomplete(st: VerifierState): boolean {
    const k = this.key(st);
    if (k === null) return false;
    const v = this.visits.get(k);
    return !!v && v.backedges.length > 0;
  }

  private propagateBackedges(v: Visit): void {
    for (let i = 0; ; i++) {
      if (i > MAX_BACKEDGE_ITERS) {
        for (const b of v.backedges) markAllScalarsPrecise(b);
        break;
      }
      let changed = false;
      for (const b of v.backedges) if (propagatePrecision(this.env, b.equalState!, b)) changed = true;
      if (!changed) break;
    }
    v.backedges = [];
  }
}
