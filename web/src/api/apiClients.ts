// API clients (docs/API.md "API clients"): a company's Masters manage their company's, an
// operator the platform's and every company's. A secret is in a create or rotate answer only,
// and either needs proof (the password and a code, or a key), as new recovery codes do.
import { get, post, seg } from '../api';
import type { Proof } from './me';

export type { ApiClient, ApiClientInput, ApiClientWithSecret, ApiScope } from '@contract';
import type { ApiClient, ApiClientInput, ApiClientWithSecret } from '@contract';

/** Who is managing: the routes differ, the answers do not. */
export type ApiClientAudience = 'company' | 'operator';

export const apiClientsApi = (audience: ApiClientAudience) => {
  const base = `/${audience}/api-clients`;
  return {
    list: () => get<{ clients: ApiClient[] }>(base),
    /** Only an operator names the company (null or none: a platform client); a Master's is theirs. */
    create: (input: ApiClientInput, proof: Proof) => post<ApiClientWithSecret>(base, { ...input, ...proof }),
    rotate: (clientId: string, proof: Proof) => post<ApiClientWithSecret>(`${base}/${seg(clientId)}/rotate`, proof),
    remove: (clientId: string) => post<{ client: ApiClient }>(`${base}/${seg(clientId)}/delete`),
  };
};
