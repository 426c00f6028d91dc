import { ErrnoError } from '../errno.js';

/** A batch command that failed; `count` is what the kernel leaves in `batch.count` (elements processed). */
export class MapBatchError extends ErrnoError {
  /** The count the command reported back. */
  readonly count: number;

  constructor(op: string, errno: number, count: number) {
    super(op, errno, `after ${count} elements`);
    this.count = count;
  }
}

/** Rounds up to a multiple of 8, as the kernel rounds value sizes. */
export function round8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
