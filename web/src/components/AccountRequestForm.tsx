import { Button, SimpleGrid, Stack, Textarea, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import type { AccountRequestInput, FieldErrors } from '../api';
import { formErrors } from '../forms/errors';
import { useAction } from '../hooks/useAction';
import { useFocusFirstInvalid } from '../hooks/useFocusFirstInvalid';
import { ErrorAlert } from './ErrorAlert';

interface AccountRequestFormProps {
  /** The public endpoint or the operator's; both take the same body. */
  submit: (input: AccountRequestInput) => Promise<unknown>;
  onSubmitted: (input: AccountRequestInput) => void;
  autoFocus?: boolean;
}

const empty: AccountRequestInput = { companyName: '', contactName: '', email: '', phone: '', note: '' };

function check(input: AccountRequestInput): FieldErrors {
  const errors: FieldErrors = {};
  if (!input.companyName.trim()) errors.companyName = 'Enter the company name.';
  if (!input.contactName.trim()) errors.contactName = 'Enter the name of the person to contact.';
  if (!input.email.trim()) errors.email = 'Enter an email address.';
  else if (!/^[^\s@]+@[^\s@]+$/.test(input.email.trim())) errors.email = 'Enter a valid email address.';
  if (!input.phone.trim()) errors.phone = 'Enter a phone number.';
  return errors;
}

/** The company account request, used on the public page and in the operator console. */
export function AccountRequestForm({ submit, onSubmitted, autoFocus }: AccountRequestFormProps) {
  const [values, setValues] = useState(empty);
  const [checked, setChecked] = useState<FieldErrors>({});
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  const { fields, summary } = formErrors(action.error, { 'company.name_taken': 'companyName' });
  const errors = { ...fields, ...checked };
  useFocusFirstInvalid(formRef, action.error ?? (Object.keys(checked).length ? checked : null));

  const set = (key: keyof AccountRequestInput) => (event: { currentTarget: { value: string } }) => {
    const value = event.currentTarget.value;
    setValues((current) => ({ ...current, [key]: value }));
    setChecked((current) => {
      const rest = { ...current };
      delete rest[key];
      return rest;
    });
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const problems = check(values);
    setChecked(problems);
    if (Object.keys(problems).length) return;
    const input: AccountRequestInput = {
      companyName: values.companyName.trim(),
      contactName: values.contactName.trim(),
      email: values.email.trim(),
      phone: values.phone.trim(),
      ...(values.note?.trim() ? { note: values.note.trim() } : {}),
    };
    const result = await action.run(() => submit(input));
    if (result !== undefined) {
      setValues(empty);
      onSubmitted(input);
    }
  };

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <ErrorAlert message={summary} />
        <TextInput label="Company Name" name="companyName" autoComplete="organization" required autoFocus={autoFocus}
          value={values.companyName} onChange={set('companyName')} error={errors.companyName} />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
          <TextInput label="Contact Name" name="contactName" autoComplete="name" required
            value={values.contactName} onChange={set('contactName')} error={errors.contactName} />
          <TextInput label="Phone" name="phone" type="tel" autoComplete="tel" required
            value={values.phone} onChange={set('phone')} error={errors.phone} />
        </SimpleGrid>
        <TextInput label="Email" name="email" type="email" autoComplete="email" required
          description="The welcome email is sent here."
          value={values.email} onChange={set('email')} error={errors.email} />
        <Textarea label="Note (optional)" name="note" autosize minRows={2} maxRows={6}
          value={values.note} onChange={set('note')} error={errors.note} />
        <Button type="submit" size="md" loading={action.pending}>
          Submit Request
        </Button>
      </Stack>
    </form>
  );
}
