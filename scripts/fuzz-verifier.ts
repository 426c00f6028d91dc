/*
 * Verifier campaign: `npm run fuzz:verifier -- --runs N --seed S [--soundness]`. Generates N programs
 * aimed at what the verifier decides (test/verifier/support/genVerifier.ts), gives each to bpfsim's
 * verifier and to the running kernel's, and prints the table (both accept, both reject, kernel-only
 * accept, bpfsim-only accept) with the disagreements grouped by the kernel's message. Exits 1 on
 * any bpfsim-only accept. With --soundness (or without a kernel) it runs the soundness property
 * instead: every program bpfsim accepts runs under the checked interpreter without a memory fault.
 */
import { parseArgs } from 'node:util';
import { kernelAvailable } from '../src/kernel/index.js';
import { KernelVerdicts, formatCampaign, runCampaign } from '../test/verifier/support/verdicts.js';
import { soundnessCampaign } from '../test/verifier/support/soundness.js';

const { values } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' }, soundness: { type: 'boolean' } } });
const runs = Number(values.runs ?? 10000);
const seed = Number(values.seed ?? 1);
const t0 = Date.now();
const kernel = kernelAvailable();
if (values.soundness || !kernel.ok) {
  if (!kernel.ok) console.log(`no kernel (${kernel.reason}): running the soundness property only`);
  const r = soundnessCampaign(seed, runs);
  console.log(`soundness, seeds ${seed}..${seed + runs - 1}: ${r.programs} programs, ${r.accepted} accepted, ${r.runs} checked runs, ${r.faults.length} faults`);
  for (const f of r.faults.slice(0, 20)) console.log(`  seed ${f.seed}: ${f.fault}`);
  console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(r.faults.length ? 1 : 0);
}
const k = new KernelVerdicts();
const c = runCampaign(k, seed, runs);
k.close();
console.log(`verifier campaign, seeds ${seed}..${seed + runs - 1} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
console.log(formatCampaign(c, 25));
if (c.unsound.length) console.log(`bpfsim-only accepts (seeds): ${c.unsound.slice(0, 50).join(' ')}`);
process.exit(c.unsound.length ? 1 : 0);
