import { flowDissectorRunner } from './flowDissector.js';
import { skSkbRunner } from './skSkb.js';
import { SKB_TEST_RUN_TYPES, skbRunner } from './skbRunner.js';
import { sockCtxRunners } from './sockRunners.js';
import { rawTpRunner, tracingCtxRunners, tracingRunner } from './tracingRunners.js';
import type { ProgTypeRunner, RunnerHost } from './types.js';
import { xdpRunner } from './xdp.js';
import type { XdpDevice } from './xdp.js';

/** Every program type runner bpfsim has, for a Machine with `cpus` CPUs. */
export function progTypeRunners(host: RunnerHost & { readonly cpus: number }, device: (ifindex: number) => XdpDevice | undefined): ProgTypeRunner[] {
  return [
    xdpRunner(host, device),
    ...SKB_TEST_RUN_TYPES.map((t) => skbRunner(host, t)),
    flowDissectorRunner(host),
    rawTpRunner(host, host.cpus),
    tracingRunner(host, host.cpus),
    ...tracingCtxRunners(host),
    ...sockCtxRunners(host),
    skSkbRunner(host),
  ];
}
