/**
 * The Machine's virtual clock in nanoseconds. It moves only when told to (by the network simulator
 * or a test) plus one nanosecond per read, so that time is deterministic yet strictly increasing
 * as programs see it.
 */
export class VirtualClock {
  private ns: bigint;

  constructor(startNs: bigint = 1_000_000_000n) {
    this.ns = startNs;
  }

  /** Reads the clock; each read advances it by 1 ns. */
  now(): bigint {
    const t = this.ns;
    this.ns += 1n;
    return t;
  }

  /** Reads the clock without advancing it. */
  peek(): bigint {
    return this.ns;
  }

  /** Moves the clock forward. */
  advance(ns: bigint | number): void {
    this.ns += BigInt(ns);
  }
}
