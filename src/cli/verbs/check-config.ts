import type { Verb } from '../verb.js';

// Placeholder until the owning work lands; replaced, not extended.
export const checkConfigVerb: Verb = {
  name: 'check-config',
  summary: '(not yet built)',
  help: 'lvs-ha check-config (not yet built)',
  run() {
    return Promise.resolve(1);
  },
};
