/*
 * The kernel backend for the ELF tests: a KernelBackend where bpf() is available.
 */
import { KernelBackend } from '../../../src/kernel/backend.js';
import { kernelAvailable } from '../../../src/kernel/available.js';

/** The kernel backend, or undefined where bpf() is unavailable. */
export function kernelBackend(): KernelBackend | undefined {
  return kernelAvailable().ok ? new KernelBackend() : undefined;
}

/** Why the kernel tests are skipped, or undefined when they run. */
export function kernelSkipReason(): string | undefined {
  const ok = kernelAvailable();
  return ok.ok ? undefined : ok.reason;
}
