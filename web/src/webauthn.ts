// The browser's half of a WebAuthn ceremony (@simplewebauthn/browser). A cancelled or
// timed-out prompt becomes an ApiError with a plain message, so pages show it like any
// other refusal.
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { ApiError } from './api';

export const supportsPasskeys = () => browserSupportsWebAuthn();

function ceremonyError(error: unknown): ApiError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return new ApiError(0, 'webauthn.cancelled', 'The passkey or security key was not used: the request was cancelled or timed out.');
  }
  if (name === 'InvalidStateError') return new ApiError(0, 'webauthn.already_registered', 'This passkey or security key is already registered.');
  return new ApiError(0, 'webauthn.unsupported', 'This browser could not use a passkey or security key here.');
}

export async function createCredential(optionsJSON: PublicKeyCredentialCreationOptionsJSON) {
  try {
    return await startRegistration({ optionsJSON });
  } catch (error) {
    throw ceremonyError(error);
  }
}

export async function getCredential(optionsJSON: PublicKeyCredentialRequestOptionsJSON) {
  try {
    return await startAuthentication({ optionsJSON });
  } catch (error) {
    throw ceremonyError(error);
  }
}
