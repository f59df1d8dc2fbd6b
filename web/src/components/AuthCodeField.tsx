import { TextInput } from '@mantine/core';
import type { ClipboardEvent, Ref } from 'react';
import { typedCode } from '@contract';

interface AuthCodeFieldProps {
  value: string;
  onChange: (value: string) => void;
  error?: string;
  inputRef?: Ref<HTMLInputElement>;
  autoFocus?: boolean;
}

// Full-width or another script's digits are the digits typed (typedCode), not dropped.
const digitsOnly = (text: string) => typedCode(text).replace(/\D/g, '').slice(0, 6);

/** The 6-digit TOTP field, labelled exactly as the seed names it. */
export function AuthCodeField({ value, onChange, error, inputRef, autoFocus }: AuthCodeFieldProps) {
  // A pasted "123 456" would be cut to "123 45" by maxLength before onChange sees it.
  const onPaste = (event: ClipboardEvent<HTMLInputElement>) => {
    event.preventDefault();
    onChange(digitsOnly(event.clipboardData.getData('text')));
  };
  return (
    <TextInput
      ref={inputRef}
      label="Authentication Code"
      description="The 6-digit code shown in your authenticator app"
      name="code"
      inputMode="numeric"
      autoComplete="one-time-code"
      maxLength={6}
      spellCheck={false}
      autoFocus={autoFocus}
      value={value}
      onChange={(event) => onChange(digitsOnly(event.currentTarget.value))}
      onPaste={onPaste}
      error={error}
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', letterSpacing: '0.3em', fontSize: 20 } }}
    />
  );
}
