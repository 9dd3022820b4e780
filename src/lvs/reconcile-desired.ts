/**
 * The reconciler's desired state from a config: desired table (./desired.ts,
 * given the live table so that real servers without a verdict keep their
 * kernel weight), the services the config owns (and, across a reload, the
 * previous config's, so removed virtual servers are deleted), timeouts and sysctls.
 */
import type { Config } from '../config/types.js';
import { desiredTable, ownedBy, staticHealthView, type DesiredOptions, type DirectorRole, type HealthView } from './desired.js';
import { serviceKeyText, type Table } from './model.js';
import type { DesiredState } from './reconciler.js';
import { wantedSysctls } from './sysctls.js';
import { needsIpvsConntrack } from './nft/fullnat.js';
import { desiredNftTable } from './nft/desired.js';
import type { MasterInstances } from './nft/vip-filter.js';

export interface DesiredInputs {
  readonly config: Config;
  /** Health verdicts; default: none yet (every checked real server unknown). */
  readonly health?: HealthView;
  /** Default BACKUP (the table is the same on MASTER and BACKUP). */
  readonly role?: DirectorRole;
  readonly options?: Omit<DesiredOptions, 'live'>;
  /** The config before a reload: its services are still ours, so dropped ones are deleted. */
  readonly previous?: Config | null;
  /** VRRP instances now MASTER (accept_mode's VIP filter, ./nft/vip-filter.ts); default none. */
  readonly masters?: MasterInstances;
}

export function desiredStateFor(inputs: DesiredInputs, live: Table): DesiredState {
  const configs = inputs.previous ? [inputs.config, inputs.previous] : [inputs.config];
  return {
    table: desiredTable(inputs.config, inputs.health ?? staticHealthView({}), inputs.role ?? 'BACKUP', { ...inputs.options, live }),
    owned: ownedBy(...configs),
    timeouts: inputs.config.ipvs.timeouts,
    sysctls: wantedSysctls(inputs.config.ipvs.sysctls, { conntrack: needsIpvsConntrack(inputs.config) }),
    nft: desiredNftTable(inputs.config, inputs.masters),
  };
}

/** Live services the config does not describe (left alone), as key text. */
export function unmanagedServices(live: Table, state: DesiredState): string[] {
  return live.services.filter((e) => !state.owned(e.service.key)).map((e) => serviceKeyText(e.service.key));
}
