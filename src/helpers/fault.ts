import { BpfError } from '../errors.js';
import { helperName } from '../isa/index.js';

/**
 * A helper called with arguments the verifier would have refused (a map pointer that is no map,
 * a callback from an engine that cannot call back): what an unverified program gets instead of a
 * silent wrong answer.
 */
export class HelperFault extends BpfError {
  /** The helper's id. */
  readonly helper: number;

  constructor(helper: number, detail: string) {
    super('EHELPER', `${helperName(helper) ?? `helper ${helper}`}: ${detail}`);
    this.helper = helper;
  }
}
