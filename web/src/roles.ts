import type { Me } from './api';

/** The Root Master and Masters administer their company; Users do not. */
export const isMaster = (me: Me) => me.user.role === 'root_master' || me.user.role === 'master';

export const isRootMaster = (me: Me) => me.user.role === 'root_master';
