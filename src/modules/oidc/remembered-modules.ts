// A client credentials request authenticates its module from a copy kept in memory instead
// of reading the module each time: that read was half of the request's statements (a round
// trip on PostgreSQL), and nothing else of the request needs one. What keeps the copy
// honest on every node is the token's insert, which is made only while the module's stored
// secret is still the one the copy holds (write-batch.ts, the batch's client guard). So:
// - a rotated or deleted secret stops at once everywhere: a node whose copy predates the
//   change lets the old secret through authentication, but its token is never stored and
//   the answer is invalid_client, and the copy is dropped;
// - a new secret works at once everywhere: presented to a node whose copy is older, it
//   fails against the copy, and the module is read again before the answer is decided
//   (`recheck`, from the provider's secret comparison).
// Only modules are remembered. API clients (client credentials too) carry scopes and an
// expiry, and are read every time; so is every client on the other routes, where the client
// comes in the same statement as the token it names (client-with-token.ts).
import { Provider } from 'oidc-provider';
import type { Db } from '../../storage/index.ts';
import { findModuleByClientId } from '../store.ts';
import { apiClientWhereServed, clientMetadataOf, type ClientModule } from './clients.ts';
import { batchOfRequest } from './write-batch.ts';

/** Enough for every module of a deployment; past it the oldest copy goes (it is read again when next used). */
const MAX_REMEMBERED = 1000;

/** Whether the provider request being served is a client credentials grant. */
export function isClientCredentialsRequest(): boolean {
  const oidc = (Provider.ctx as { oidc?: { route?: string; params?: Record<string, unknown> } } | undefined)?.oidc;
  return oidc?.route === 'token' && oidc.params?.grant_type === 'client_credentials';
}

export interface RememberedModules {
  /** A client credentials request's client: a module from its copy (read and kept when there is none), else an API client, read. */
  clientFor(clientId: string, now: number): Promise<Record<string, unknown> | undefined>;
  /**
   * The presented secret did not match the remembered copy (`secretMatches` said so): the
   * module is read again and the copy replaced. True if the secret matches the module as
   * stored now; the request's token is then stored under that secret.
   */
  recheck(clientId: string, secretMatches: (secretHash: string) => boolean): Promise<boolean>;
  /** The copy turned out stale (the token's insert found another secret): gone, read again next time. */
  forget(clientId: string): void;
}

/** The module a client credentials token may be issued to: confidential, with a secret. */
const rememberable = (module: ClientModule | undefined): module is ClientModule & { secret_hash: string } =>
  module?.client_type === 'confidential' && typeof module.secret_hash === 'string';

export function rememberedModules(db: Db): RememberedModules {
  const copies = new Map<string, ClientModule & { secret_hash: string }>();

  const keep = (module: ClientModule & { secret_hash: string }) => {
    copies.delete(module.client_id);
    if (copies.size >= MAX_REMEMBERED) copies.delete(copies.keys().next().value as string);
    copies.set(module.client_id, module);
  };

  /** The request's token is stored only while the module's secret is still `secretHash` (`readNow`: not a copy). */
  const issueUnder = (clientId: string, secretHash: string, readNow: boolean) => batchOfRequest()?.guardClient({ clientId, secretHash, readNow });

  return {
    async clientFor(clientId, now) {
      const copy = copies.get(clientId);
      if (copy) {
        issueUnder(clientId, copy.secret_hash, false);
        return clientMetadataOf(copy);
      }
      const read = await findModuleByClientId(db, clientId);
      if (!read) return apiClientWhereServed(db, clientId, now);
      if (!rememberable(read)) return clientMetadataOf(read);
      keep(read);
      issueUnder(clientId, read.secret_hash, true);
      return clientMetadataOf(read);
    },
    async recheck(clientId, secretMatches) {
      // Only a copy can be stale: a module read in this very request is as stored.
      const guard = batchOfRequest()?.clientGuard;
      if (guard?.clientId !== clientId || guard.readNow) return false;
      const read = await findModuleByClientId(db, clientId);
      if (!rememberable(read)) {
        copies.delete(clientId);
        return false;
      }
      keep(read);
      if (!secretMatches(read.secret_hash)) return false;
      issueUnder(clientId, read.secret_hash, true);
      return true;
    },
    forget(clientId) {
      copies.delete(clientId);
    },
  };
}
