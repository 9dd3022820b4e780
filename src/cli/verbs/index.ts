import type { Verb } from '../verb.js';
import { checkConfigVerb } from './check-config.js';
import { importKeepalivedVerb } from './import-keepalived.js';
import { planVerb } from './plan.js';
import { realServerVerb } from './real-server.js';
import { runVerb } from './run.js';
import { statusVerb } from './status.js';

/** Every verb of the lvs-ha command, in the order `--help` lists them. */
export const verbs: readonly Verb[] = [checkConfigVerb, runVerb, statusVerb, planVerb, importKeepalivedVerb, realServerVerb];
