import { HelperTable } from './table.js';
import { getPrandomU32, getSmpProcessorId, ktimeGetNs } from './time.js';

export * from './types.js';
export * from './args.js';
export * from './table.js';
export * from './time.js';

/** A new table holding every helper bpfsim implements. */
export function defaultHelpers(): HelperTable {
  return new HelperTable([ktimeGetNs, getPrandomU32, getSmpProcessorId]);
}
