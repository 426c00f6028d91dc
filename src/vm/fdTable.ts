import type { FdObject } from '../maps/index.js';

/**
 * The file descriptors of the simulated process: what userspace holds for maps, programs, sockets
 * and perf events, as numbers, so that map updates which take fds (PROG_ARRAY, map-in-map,
 * DEVMAP programs, SOCKMAP) work as on Linux. Numbering starts at 3, after stdin/out/err.
 */
export class FdTable {
  private readonly table = new Map<number, FdObject>();

  /** Opens a new descriptor for `obj` and returns its number (the lowest free one, as Linux does). */
  open(obj: FdObject): number {
    let fd = 3;
    while (this.table.has(fd)) fd++;
    this.table.set(fd, obj);
    return fd;
  }

  /** What `fd` refers to, or undefined when it is not open. */
  get(fd: number): FdObject | undefined {
    return this.table.get(fd);
  }

  /** Closes `fd`; false when it was not open. */
  close(fd: number): boolean {
    return this.table.delete(fd);
  }

  /** Number of open descriptors. */
  get size(): number {
    return this.table.size;
  }
}
