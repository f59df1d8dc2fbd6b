// The modules door: modules (OIDC clients), company grants, signing keys, the provider.
export {
  companyMayUse,
  companyModules,
  findModuleByClientId,
  getModule,
  grantModule,
  listModules,
  moduleVersion,
  registerModule,
  revokeModuleGrant,
  rotateModuleSecret,
  setModuleEnabled,
  type ModuleInput,
  type ModuleRow,
  type ModuleSettings,
} from './store.ts';
export { authenticateSessionWithAccess, endLostModuleAccess, lockAccessDecisions, moduleAccessFor, modulesForUser, userMayUse, type ModuleAccess, type SignedInWithAccess } from './access.ts';
export { grantModuleBy, grantsOf, registerModuleBy, revokeModuleGrantBy, rotateModuleSecretBy, switchCompanyModule, updateModuleBy, type ModuleChangeBy, type ModuleEdit } from './changes.ts';
export { redirectUriProblem } from './redirect-uris.ts';
export { ensureSigningKeys, KEY_ACTIVATION_DELAY_MS, loadSigningKeys, rotateSigningKeys, rotateSigningKeysIn, RETIRED_KEY_GRACE_MS } from './signing-keys.ts';
export * from './oidc/index.ts';
export { endModuleAccess, listLogoutNotices, tellModulesSessionReplaced, type ModuleAccessScope } from './backchannel/index.ts';
