import { readFileSync } from 'node:fs';
import { BpfError } from '../errors.js';
import { VmFault } from '../vm/index.js';
import { asmCommand } from './commands/asm.js';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { disasmCommand } from './commands/disasm.js';
import { featuresCommand } from './commands/features.js';
import { inspectCommand } from './commands/inspect.js';
import { pluginCommand } from './commands/plugin.js';
import { runCommand } from './commands/run.js';
import { verifyCommand } from './commands/verify.js';
import { UsageError } from './usage.js';
import type { CliIo, Command } from './usage.js';

/** Every subcommand, in the order `bpfsim --help` lists them. */
export const commands: readonly Command[] = [asmCommand, disasmCommand, inspectCommand, runCommand, verifyCommand, featuresCommand, pluginCommand, benchCommand, demoCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: bpfsim COMMAND [ARGS] (bpfsim COMMAND --help for details)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n') + '\n';
}

/** The process's standard streams. */
export const processIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  stdin: () => readFileSync(0, 'utf8'),
};

/**
 * Runs `bpfsim` with the given arguments and returns the exit status: 0 success, 1 a program that
 * faulted or was refused, 2 a usage mistake or bad input (one line on stderr).
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  const cmd = commands.find((c) => c.name === name);
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}' (commands: ${commands.map((c) => c.name).join(', ')})`);
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof VmFault) {
      io.err(`bpfsim ${name}: ${e.message}\n`);
      return 1;
    }
    if (e instanceof BpfError) {
      io.err(`bpfsim${cmd ? ' ' + name : ''}: ${e.message.split('\n')[0]}\n`);
      return 2;
    }
    throw e;
  }
}
