import { BpfError } from '../errors.js';
import { nativeBpf } from './addon.js';
import { KernelError } from './errno.js';

// Node defines Symbol.dispose from 20.4 (as Symbol.for('nodejs.dispose')); define it the same way
// on older 20.x so that `using` and explicit `[Symbol.dispose]()` calls work everywhere.
(Symbol as { dispose?: symbol }).dispose ??= Symbol.for('nodejs.dispose');

// A safety net, not a substitute for close(): an Fd collected while open closes its descriptor.
const leaked = new FinalizationRegistry<number>((fd) => {
  nativeBpf().close(fd);
});

/** An owned file descriptor of a kernel object (program, map, BTF, link); close it, or let `using` do so. */
export class Fd {
  #fd: number;

  /** Takes ownership of `fd`, a non-negative descriptor number. */
  constructor(fd: number) {
    if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`not a file descriptor: ${fd}`);
    this.#fd = fd;
    leaked.register(this, fd, this);
  }

  /** The descriptor number; throws once closed, as the number may already name another file. */
  get raw(): number {
    if (this.#fd < 0) throw new BpfError('EBADF', 'this fd has been closed');
    return this.#fd;
  }

  /** Whether close() has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the descriptor; later calls do nothing. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    leaked.unregister(this);
    const errno = nativeBpf().close(fd);
    if (errno !== 0) throw new KernelError('close', errno);
  }

  /** Closes the descriptor at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `fd <n>`, or `fd (closed)`. */
  toString(): string {
    return this.#fd < 0 ? 'fd (closed)' : `fd ${this.#fd}`;
  }
}
