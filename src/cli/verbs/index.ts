import type { Verb } from '../verb.js';
import { checkConfigVerb } from './check-config.js';
import { drainVerb, undrainVerb } from './drain.js';
import { drillVerb, maintenanceVerb } from './drill.js';
import { importKeepalivedVerb } from './import-keepalived.js';
import { labVerb } from './lab.js';
import { planVerb } from './plan.js';
import { realServerVerb } from './real-server.js';
import { reloadVerb } from './reload.js';
import { runVerb } from './run.js';
import { statusVerb } from './status.js';

/** Every verb of the lvs-ha command, in the order `--help` lists them. */
export const verbs: readonly Verb[] = [
  checkConfigVerb, runVerb, statusVerb, reloadVerb, drainVerb, undrainVerb, drillVerb, maintenanceVerb, planVerb, importKeepalivedVerb, realServerVerb, labVerb,
];
