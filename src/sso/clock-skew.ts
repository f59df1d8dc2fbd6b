/** How far apart Gatehouse's and a provider's clocks may be, for SAML and OpenID Connect alike. */
export const CLOCK_SKEW_MS = 3 * 60_000;
