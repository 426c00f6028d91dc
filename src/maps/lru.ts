/*
 * The LRU behind LRU_HASH and LRU_PERCPU_HASH, modelled on the kernel's (kernel/bpf/bpf_lru_list.c):
 * an approximate LRU with active and inactive lists and a reference bit that lookups from programs
 * set. The common LRU (the default) shares one set of lists among CPUs, and each CPU takes free
 * nodes in batches into a local free list, marks the nodes it hands out as pending, and steals from
 * other CPUs when the global lists are exhausted. With BPF_F_NO_COMMON_LRU each CPU owns
 * max_entries / ncpus nodes and its own lists. This is why an LRU map can evict before it is full,
 * and why a failed update can still evict: a node is taken before the update is checked.
 */

const ACTIVE = 0;
const INACTIVE = 1;
const FREE = 2;
const LOCAL_FREE = 3;
const LOCAL_PENDING = 4;

/** Most free nodes a CPU takes from the common lists at a time. */
const LOCAL_FREE_TARGET = 128;
/** Nodes a per-CPU LRU list frees at a time when it runs out. */
const PERCPU_FREE_TARGET = 4;

interface Lists {
  /** Sentinels of the active, inactive and free lists, indexed by node type. */
  readonly heads: [number, number, number];
  /** Nodes on the active and inactive lists. */
  readonly counts: [number, number];
  /** Where the next inactive-list rotation starts (a node, or the inactive sentinel). */
  nextInactiveRotation: number;
}

interface Local {
  readonly free: number;
  readonly pending: number;
  nextSteal: number;
}

/** Removes an element from its hash table when the LRU evicts it; false if it is no longer there. */
export type EvictFn = (node: number) => boolean;

/** The LRU lists of one LRU map over `nodes` preallocated elements (node i is slot i). */
export class Lru {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly type: Uint8Array;
  private readonly ref: Uint8Array;
  private readonly cpuOf: Uint16Array;
  private readonly lists: Lists[] = [];
  private readonly locals: Local[] = [];
  private readonly nrScans: number;
  private readonly targetFree: number;
  private sentinels: number;

  constructor(
    nodes: number,
    private readonly ncpus: number,
    private readonly perCpu: boolean,
    private readonly evict: EvictFn,
  ) {
    const heads = perCpu ? 3 * ncpus : 3 + 2 * ncpus;
    this.prev = new Int32Array(nodes + heads);
    this.next = new Int32Array(nodes + heads);
    this.type = new Uint8Array(nodes);
    this.ref = new Uint8Array(nodes);
    this.cpuOf = new Uint16Array(nodes);
    this.sentinels = nodes;
    for (let i = 0; i < (perCpu ? ncpus : 1); i++) {
      const [a, b, c] = [this.sentinel(), this.sentinel(), this.sentinel()];
      this.lists.push({ heads: [a, b, c], counts: [0, 0], nextInactiveRotation: b });
    }
    if (!perCpu) {
      for (let cpu = 0; cpu < ncpus; cpu++) this.locals.push({ free: this.sentinel(), pending: this.sentinel(), nextSteal: cpu });
    }
    this.nrScans = perCpu ? PERCPU_FREE_TARGET : LOCAL_FREE_TARGET;
    this.targetFree = Math.min(LOCAL_FREE_TARGET, Math.max(1, Math.floor(Math.floor(nodes / ncpus) / 2)));
    this.populate(nodes);
  }

  /** A node for a new element, taken on `cpu` (evicting others if needed), or -1. */
  pop(cpu: number): number {
    return this.perCpu ? this.percpuPop(cpu) : this.commonPop(cpu);
  }

  /** Returns a node whose element was deleted or replaced, or whose update failed. */
  push(node: number): void {
    if (this.perCpu) {
      this.move(this.lists[this.cpuOf[node]!]!, node, FREE);
      return;
    }
    if (this.type[node] === LOCAL_PENDING) {
      this.type[node] = LOCAL_FREE;
      this.ref[node] = 0;
      this.listMove(node, this.locals[this.cpuOf[node]!]!.free);
      return;
    }
    this.move(this.lists[0]!, node, FREE);
  }

  /** Marks a node as recently used (a lookup from a program, or a replaced element). */
  setRef(node: number): void {
    this.ref[node] = 1;
  }

  private sentinel(): number {
    const s = this.sentinels++;
    this.prev[s] = s;
    this.next[s] = s;
    return s;
  }

  private populate(nodes: number): void {
    if (!this.perCpu) {
      for (let i = 0; i < nodes; i++) {
        this.type[i] = FREE;
        this.listAdd(i, this.lists[0]!.heads[FREE]);
      }
      return;
    }
    const perCpu = Math.floor(nodes / this.ncpus);
    let i = 0;
    for (let cpu = 0; cpu < this.ncpus && i < nodes; cpu++) {
      do {
        this.cpuOf[i] = cpu;
        this.type[i] = FREE;
        this.listAdd(i, this.lists[cpu]!.heads[FREE]);
        i++;
      } while (i < nodes && i % perCpu !== 0);
    }
  }

  private commonPop(cpu: number): number {
    const loc = this.locals[cpu]!;
    let node = this.localPopFree(loc);
    if (node < 0) {
      this.refillLocal(loc);
      node = this.localPopFree(loc);
    }
    if (node < 0) {
      const first = loc.nextSteal;
      let steal = first;
      do {
        const victim = this.locals[steal]!;
        node = this.localPopFree(victim);
        if (node < 0) node = this.localPopPending(victim);
        steal = (steal + 1) % this.ncpus;
      } while (node < 0 && steal !== first);
      loc.nextSteal = steal;
    }
    if (node >= 0) {
      this.cpuOf[node] = cpu;
      this.type[node] = LOCAL_PENDING;
      this.ref[node] = 0;
      this.listAdd(node, loc.pending);
    }
    return node;
  }

  private percpuPop(cpu: number): number {
    const l = this.lists[cpu]!;
    this.rotate(l);
    const free = l.heads[FREE];
    if (this.next[free] === free) this.shrink(l, PERCPU_FREE_TARGET, free, FREE);
    const node = this.next[free]!;
    if (node === free) return -1;
    this.ref[node] = 0;
    this.move(l, node, INACTIVE);
    return node;
  }

  /** Moves pending nodes to the common lists, rotates them, and takes up to targetFree free nodes. */
  private refillLocal(loc: Local): void {
    const l = this.lists[0]!;
    this.eachReverse(loc.pending, (node) => {
      this.moveIn(l, node, this.ref[node] ? ACTIVE : INACTIVE);
      return false;
    });
    this.rotate(l);
    let nfree = 0;
    const free = l.heads[FREE];
    for (let node = this.next[free]!; node !== free && nfree < this.targetFree; ) {
      const after = this.next[node]!;
      this.moveToFree(l, node, loc.free, LOCAL_FREE);
      nfree++;
      node = after;
    }
    if (nfree < this.targetFree) this.shrink(l, this.targetFree - nfree, loc.free, LOCAL_FREE);
  }

  private localPopFree(loc: Local): number {
    const node = this.next[loc.free]!;
    if (node === loc.free) return -1;
    this.listDel(node);
    return node;
  }

  private localPopPending(loc: Local): number {
    for (const force of [false, true]) {
      let found = -1;
      this.eachReverse(loc.pending, (node) => {
        if ((force || !this.ref[node]) && this.evict(node)) {
          this.listDel(node);
          found = node;
          return true;
        }
        return false;
      });
      if (found >= 0) return found;
    }
    return -1;
  }

  private rotate(l: Lists): void {
    if (l.counts[INACTIVE] < l.counts[ACTIVE]) this.rotateActive(l);
    this.rotateInactive(l);
  }

  /** From the tail of the active list: referenced nodes go back to its head, the rest to the inactive list. */
  private rotateActive(l: Lists): void {
    const active = l.heads[ACTIVE];
    const first = this.next[active]!;
    let i = 0;
    this.eachReverse(active, (node) => {
      this.move(l, node, this.ref[node] ? ACTIVE : INACTIVE);
      return ++i === this.nrScans || node === first;
    });
  }

  /** Walks the inactive list backwards from where the last walk stopped, promoting referenced nodes. */
  private rotateInactive(l: Lists): void {
    const inactive = l.heads[INACTIVE];
    if (this.next[inactive] === inactive) return;
    let last = this.next[l.nextInactiveRotation]!;
    if (last === inactive) last = this.next[last]!;
    let cur = l.nextInactiveRotation;
    let after = inactive;
    for (let i = 0; i < this.nrScans; ) {
      if (cur === inactive) {
        cur = this.prev[cur]!;
        continue;
      }
      after = this.prev[cur]!;
      if (this.ref[cur]) this.move(l, cur, ACTIVE);
      if (cur === last) break;
      cur = after;
      i++;
    }
    l.nextInactiveRotation = after;
  }

  /** Frees up to `target` unreferenced inactive nodes into `freeList`; failing that, one node regardless of its bit. */
  private shrink(l: Lists, target: number, freeList: number, freeType: number): number {
    let freed = 0;
    let i = 0;
    this.eachReverse(l.heads[INACTIVE], (node) => {
      if (this.ref[node]) this.move(l, node, ACTIVE);
      else if (this.evict(node)) {
        this.moveToFree(l, node, freeList, freeType);
        if (++freed === target) return true;
      }
      return ++i === this.nrScans;
    });
    if (freed) return freed;
    const inactive = l.heads[INACTIVE];
    const victims = this.next[inactive] !== inactive ? inactive : l.heads[ACTIVE];
    this.eachReverse(victims, (node) => {
      if (!this.evict(node)) return false;
      this.moveToFree(l, node, freeList, freeType);
      freed = 1;
      return true;
    });
    return freed;
  }

  private moveToFree(l: Lists, node: number, freeList: number, freeType: number): void {
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.prev[node]!;
    this.uncount(l, node);
    this.type[node] = freeType;
    this.listMove(node, freeList);
  }

  private moveIn(l: Lists, node: number, to: number): void {
    this.type[node] = to;
    l.counts[to as 0 | 1]++;
    this.ref[node] = 0;
    this.listMove(node, l.heads[to as 0 | 1]);
  }

  private move(l: Lists, node: number, to: number): void {
    if (this.type[node] !== to) {
      this.uncount(l, node);
      this.type[node] = to;
      if (to < FREE) l.counts[to as 0 | 1]++;
    }
    this.ref[node] = 0;
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.prev[node]!;
    this.listMove(node, l.heads[to as 0 | 1 | 2]);
  }

  private uncount(l: Lists, node: number): void {
    const t = this.type[node]!;
    if (t < FREE) l.counts[t as 0 | 1]--;
  }

  /** Calls `fn` on each node of a list from its tail until it returns true; safe against moving the current node. */
  private eachReverse(head: number, fn: (node: number) => boolean): void {
    for (let node = this.prev[head]!; node !== head; ) {
      const before = this.prev[node]!;
      if (fn(node)) return;
      node = before;
    }
  }

  private listAdd(node: number, head: number): void {
    const first = this.next[head]!;
    this.next[node] = first;
    this.prev[node] = head;
    this.prev[first] = node;
    this.next[head] = node;
  }

  private listDel(node: number): void {
    const p = this.prev[node]!;
    const n = this.next[node]!;
    this.next[p] = n;
    this.prev[n] = p;
  }

  private listMove(node: number, head: number): void {
    this.listDel(node);
    this.listAdd(node, head);
  }
}
