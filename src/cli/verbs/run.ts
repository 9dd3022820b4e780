import type { Verb } from '../verb.js';

// Placeholder until the owning work lands; replaced, not extended.
export const runVerb: Verb = {
  name: 'run',
  summary: '(not yet built)',
  help: 'lvs-ha run (not yet built)',
  run() {
    return Promise.resolve(1);
  },
};
