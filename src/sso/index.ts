// The single sign-on door: a company's identity providers (SAML 2.0, OpenID Connect),
// their set-up by Masters, and signing in through them.
export { addProvider, describeProvider, editProvider, removeProvider, type Master, type ProviderInput } from './providers.ts';
export { changeSsoSettings, ssoOverview, switchProvider } from './settings.ts';
export { receiveOidcCallback, receiveSamlResponse, ssoTestResult, startSsoLogin, startSsoTest, type AnsweringBrowser, type Landing } from './sign-in.ts';
export { ACS_BOUNCE_HEADERS, acsBouncePage } from './acs-bounce.ts';
export { serviceProviderMetadata } from './saml.ts';
export { serviceProviderUrls, type ServiceProviderUrls } from './urls.ts';
export { parseIdpMetadata } from './metadata.ts';
