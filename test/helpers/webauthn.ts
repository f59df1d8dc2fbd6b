// A software authenticator on node:crypto, for HTTP tests: it makes real credentials
// (an ES256 key pair, attestation "none", CBOR and COSE as the spec lays them out) and
// real assertions (an ECDSA signature over authenticatorData || SHA-256(clientDataJSON)),
// so the server's verification runs for real. Nothing here knows the server's code.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [key: string]: Cbor };

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(length, 1);
  return b;
}

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  rpId: string;
  userHandle: string;
  counter: number;
}

export interface SoftAuthenticatorOptions {
  /** Does the authenticator verify its user (PIN, biometrics)? */
  userVerification?: boolean;
  /** A synced passkey (backup eligible and backed up): "multiDevice" for the server. */
  synced?: boolean;
  /** Keeps no counter (reports 0 always), as many passkey providers do. */
  noCounter?: boolean;
  transports?: string[];
}

interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** What the browser says of a ceremony run inside a frame of another site (clientDataJSON). */
  crossOrigin?: boolean;
  topOrigin?: string;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  readonly options: Required<SoftAuthenticatorOptions>;
  readonly origin: string;
  constructor(origin: string, options: SoftAuthenticatorOptions = {}) {
    this.origin = origin;
    this.options = { userVerification: true, synced: false, noCounter: false, transports: ['usb'], ...options };
  }

  private flags(attested: boolean): number {
    let flags = 0x01; // user present
    if (this.options.userVerification) flags |= 0x04;
    if (this.options.synced) flags |= 0x08 | 0x10; // backup eligible, backed up
    if (attested) flags |= 0x40;
    return flags;
  }

  private clientData(type: string, challenge: string, origin: string, framed: Pick<CeremonyOverrides, 'crossOrigin' | 'topOrigin'> = {}): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: framed.crossOrigin ?? false, ...(framed.topOrigin ? { topOrigin: framed.topOrigin } : {}) }));
  }

  /** navigator.credentials.create(), given the server's creation options. */
  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, overrides: CeremonyOverrides = {}) {
    const rpId = overrides.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x as string, 'base64url')], [-3, Buffer.from(jwk.y as string, 'base64url')]]));
    const id = randomBytes(32);
    const credential: SoftCredential = { id, privateKey, publicKey, rpId, userHandle: options.user.id, counter: 0 };
    const counter = Buffer.alloc(4);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.flags(true)]), counter, Buffer.alloc(16), idLength, id, cose]);
    const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData });
    this.credentials.push(credential);
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(this.clientData(overrides.type ?? 'webauthn.create', overrides.challenge ?? options.challenge, overrides.origin ?? this.origin, overrides)),
        attestationObject: b64url(attestationObject),
        transports: this.options.transports,
      },
      authenticatorAttachment: 'cross-platform' as const,
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(), given the server's request options. */
  assert(
    options: { challenge: string; rpId?: string; allowCredentials?: { id: string }[] },
    overrides: CeremonyOverrides & { credential?: SoftCredential; counter?: number } = {},
  ) {
    const rpId = overrides.rpId ?? options.rpId ?? new URL(this.origin).hostname;
    const allowed = options.allowCredentials?.map((c) => c.id);
    const credential =
      overrides.credential ?? this.credentials.find((c) => c.rpId === rpId && (!allowed || allowed.length === 0 || allowed.includes(b64url(c.id))));
    if (!credential) throw new Error('the authenticator holds no credential for this request');
    if (!this.options.noCounter) credential.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(overrides.counter ?? (this.options.noCounter ? 0 : credential.counter));
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.flags(false)]), counter]);
    const clientDataJSON = this.clientData(overrides.type ?? 'webauthn.get', overrides.challenge ?? options.challenge, overrides.origin ?? this.origin, overrides);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      authenticatorAttachment: 'cross-platform' as const,
      clientExtensionResults: {},
    };
  }

  /** A copy of this authenticator's keys and counters, as a cloned key would have. */
  clone(): SoftAuthenticator {
    const copy = new SoftAuthenticator(this.origin, this.options);
    copy.credentials.push(...this.credentials.map((c) => ({ ...c })));
    return copy;
  }
}
