import { benchVerifierDomain } from '../src/verifier/index.js';

// The scalar domain's micro-benchmark: millions of operations per second.
for (const row of benchVerifierDomain()) console.log(`${row.name.padEnd(28)} ${row.mops.toFixed(1).padStart(8)} M/s`);
