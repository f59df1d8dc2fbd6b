// Modules are told when access ends: the outbox of back-channel logout notices, the one
// place module access ends, and the worker that delivers the notices.
export { endModuleAccess, grantInForce, tellModulesSessionReplaced, type ModuleAccessScope } from './end-access.ts';
export { enqueueLogoutNotice, listLogoutNotices, MAX_ATTEMPTS as BACKCHANNEL_MAX_ATTEMPTS, type LogoutNoticeStatus } from './outbox.ts';
export { createBackchannelWorker, queueProviderNotices, type BackchannelWorker } from './worker.ts';
