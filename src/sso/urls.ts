// What Gatehouse tells a company's identity provider about itself. Built from the
// configured public URL only, never from a request's Host header.
export interface ServiceProviderUrls {
  /** The SAML entity ID, which is also where the SP metadata is served. */
  entityId: string;
  metadataUrl: string;
  acsUrl: string;
  oidcRedirectUri: string;
}

export function serviceProviderUrls(publicUrl: URL, companyId: string): ServiceProviderUrls {
  const at = (path: string) => new URL(path, publicUrl).toString();
  const metadataUrl = at(`/saml/${companyId}/metadata`);
  return {
    entityId: metadataUrl,
    metadataUrl,
    acsUrl: at(`/saml/${companyId}/acs`),
    oidcRedirectUri: at(`/sso/${companyId}/oidc/callback`),
  };
}
