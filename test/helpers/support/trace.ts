/*
 * Reading what bpf_trace_printk wrote on the kernel: the `trace` file of a mounted tracefs (found
 * in /proc/mounts), lines of the form `comm-pid [cpu] flags time: bpf_trace_printk: message`.
 * Tests mark their messages with a unique prefix and pick out their own lines.
 */
import { existsSync, readFileSync } from 'node:fs';

/** The trace file of a mounted tracefs that is tracing, or undefined (not mounted, or tracing_on is 0). */
export function traceFile(): string | undefined {
  if (!existsSync('/proc/mounts')) return undefined;
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, dir, type] = line.split(' ');
    if ((type === 'tracefs' || type === 'debugfs') && dir) {
      const root = type === 'tracefs' ? dir : `${dir}/tracing`;
      if (existsSync(`${root}/trace`) && readFileSync(`${root}/tracing_on`, 'utf8').trim() === '1') return `${root}/trace`;
    }
  }
  return undefined;
}

/** The messages of the trace lines that start with `marker`, in order. */
export function tracedMessages(file: string, marker: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf(`bpf_trace_printk: ${marker}`);
    if (at >= 0) out.push(line.slice(at + 'bpf_trace_printk: '.length));
  }
  return out;
}
