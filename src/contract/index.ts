// The contract the server and the web app share: field rules, name rules and the
// password rule. Browser-safe: nothing here may import Node modules or server code.
export * from './fields.ts';
export * from './name-rules.ts';
export * from './password-rules.ts';
export type * from './types.ts';
