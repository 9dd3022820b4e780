import type { Verb } from '../verb.js';

// Placeholder until the owning work lands; replaced, not extended.
export const statusVerb: Verb = {
  name: 'status',
  summary: '(not yet built)',
  help: 'lvs-ha status (not yet built)',
  run() {
    return Promise.resolve(1);
  },
};
