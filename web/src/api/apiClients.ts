// API clients (docs/API.md "API clients"): a company's Masters manage their company's, an
// operator the platform's and every company's. A secret is in a create or rotate answer only,
// and either needs proof (the password and a code, or a key), as new recovery codes do.
import { get, post, postOnce, seg } from '../api';
import type { Proof } from './me';

export type { ApiClient, ApiClientCreated, ApiClientInput, ApiClientWithSecret, ApiScope } from '@contract';
import type { ApiClient, ApiClientCreated, ApiClientInput, ApiClientWithSecret } from '@contract';

/** Who is managing: the routes differ, the answers do not. */
export type ApiClientAudience = 'company' | 'operator';

export const apiClientsApi = (audience: ApiClientAudience) => {
  const base = `/${audience}/api-clients`;
  return {
    list: () => get<{ clients: ApiClient[] }>(base),
    /** Only an operator names the company (null or none: a platform client); a Master's is theirs. */
    /**
     * `idempotencyKey`: one per client filled in, whatever proof comes with it: sent again
     * after a lost answer (with a fresh code), it is answered the client made, without its
     * secret (`clientSecret` null), rather than made twice.
     */
    create: (input: ApiClientInput, proof: Proof, idempotencyKey: string) => postOnce<ApiClientCreated>(base, { ...input, ...proof }, idempotencyKey),
    rotate: (clientId: string, proof: Proof) => post<ApiClientWithSecret>(`${base}/${seg(clientId)}/rotate`, proof),
    remove: (clientId: string) => post<{ client: ApiClient }>(`${base}/${seg(clientId)}/delete`),
  };
};
