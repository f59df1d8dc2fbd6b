import { Button, SimpleGrid, Stack, Textarea, TextInput } from '@mantine/core';
import type { AccountRequestInput } from '../api';
import { useApiForm } from '../forms';
import { accountRequestSchema } from '../forms/schemas';
import { ErrorAlert } from './ErrorAlert';

interface AccountRequestFormProps {
  /** The public endpoint or the operator's; both take the same body and the submission's Idempotency-Key. */
  submit: (input: AccountRequestInput, idempotencyKey: string) => Promise<unknown>;
  onSubmitted: (input: AccountRequestInput) => void;
  autoFocus?: boolean;
}

const empty = { companyName: '', contactName: '', email: '', phone: '', note: '' };

/** The company account request, used on the public page and in the operator console. */
export function AccountRequestForm({ submit: send, onSubmitted, autoFocus }: AccountRequestFormProps) {
  const { form, ref, summary, pending, submit } = useApiForm({
    initialValues: empty,
    schema: accountRequestSchema,
    codeToField: { 'company.name_taken': 'companyName' },
  });

  const onSubmit = submit(
    ({ note, ...input }, idempotencyKey) => {
      const request: AccountRequestInput = { ...input, ...(note ? { note } : {}) };
      return send(request, idempotencyKey).then(() => request);
    },
    (request) => {
      form.reset();
      onSubmitted(request);
    },
  );

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <ErrorAlert message={summary} />
        <TextInput label="Company Name" name="companyName" autoComplete="organization" required autoFocus={autoFocus}
          {...form.getInputProps('companyName')} />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
          <TextInput label="Contact Name" name="contactName" autoComplete="name" required
            {...form.getInputProps('contactName')} />
          <TextInput label="Phone" name="phone" type="tel" autoComplete="tel" required
            {...form.getInputProps('phone')} />
        </SimpleGrid>
        <TextInput label="Email" name="email" type="email" autoComplete="email" required
          description="The welcome email is sent here."
          {...form.getInputProps('email')} />
        <Textarea label="Note (optional)" name="note" autosize minRows={2} maxRows={6}
          {...form.getInputProps('note')} />
        <Button type="submit" size="md" loading={pending}>
          Submit Request
        </Button>
      </Stack>
    </form>
  );
}
