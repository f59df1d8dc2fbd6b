import { Button, Checkbox, Group, Modal, NativeSelect, NumberInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { MAX_API_CLIENT_EXPIRY_DAYS } from '@contract';
import { z } from 'zod';
import type { ApiClientAudience, ApiClientInput } from '../../api/apiClients';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';
import { apiClientSchema } from '../../forms/schemas';
import { grantableScopes, SCOPE_HINTS } from './scopes';

interface NewApiClientDialogProps {
  audience: ApiClientAudience;
  opened: boolean;
  /** An operator's choice of company; '' stands for a platform client. */
  companies?: { id: string; name: string }[];
  onClose: () => void;
  /** The client as filled in: the tab asks for proof (ReauthDialog) before creating it. */
  onFilled: (input: ApiClientInput) => void;
}

const PLATFORM = '';
const initialValues = { name: '', scopes: [] as string[], expiresInDays: '' as number | string, companyId: PLATFORM };
type Values = typeof initialValues;
// The operator's company choice rides along; a Master's company is the session's.
const schema = apiClientSchema.extend({ companyId: z.string() });

function NewApiClientForm({ audience, companies = [], onFilled, onCancel }: Omit<NewApiClientDialogProps, 'opened' | 'onClose'> & { onCancel: () => void }) {
  const { form, ref, summary, pending, submit } = useApiForm<Values, z.output<typeof schema>>({ initialValues, schema });
  const values = form.values;
  const forCompany = audience === 'company' || values.companyId !== PLATFORM;
  const scopes = grantableScopes(forCompany);

  const chooseCompany = (companyId: string) => {
    form.setFieldValue('companyId', companyId);
    // A company's client cannot keep a platform-only scope chosen a moment ago.
    const allowed = grantableScopes(companyId !== PLATFORM) as string[];
    form.setFieldValue('scopes', values.scopes.filter((scope) => allowed.includes(scope)));
  };

  // Checked here; sent once the user has proved it is them (the tab's ReauthDialog).
  const onSubmit = submit(
    async (typed): Promise<ApiClientInput> => ({
      name: typed.name,
      scopes: typed.scopes,
      ...(typed.expiresInDays === '' ? {} : { expiresInDays: Number(typed.expiresInDays) }),
      ...(audience === 'operator' ? { companyId: typed.companyId || null } : {}),
    }),
    (input) => onFilled(input),
  );

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <ErrorAlert message={summary} />
        <TextInput label="Name" name="name" required data-autofocus description="Says what uses it, e.g. PSA sync."
          {...form.getInputProps('name')} />
        {audience === 'operator' && (
          <NativeSelect label="For" name="companyId"
            description="A platform client reaches every company; a company's client only that company."
            data={[{ value: PLATFORM, label: 'Platform (every company)' }, ...companies.map((c) => ({ value: c.id, label: c.name }))]}
            value={values.companyId} onChange={(event) => chooseCompany(event.currentTarget.value)}
            error={form.errors.companyId} />
        )}
        <Checkbox.Group label="Scopes" required
          description={forCompany ? "What the client may do in the company. Scopes across companies are for platform clients only." : 'What the client may do.'}
          {...form.getInputProps('scopes')}>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" mt="xs">
            {scopes.map((scope) => (
              <Checkbox key={scope} value={scope} label={scope} description={SCOPE_HINTS[scope]} />
            ))}
          </SimpleGrid>
        </Checkbox.Group>
        <NumberInput label="Expires after (days, optional)" name="expiresInDays"
          description={`Empty: it never expires. At most ${MAX_API_CLIENT_EXPIRY_DAYS} days.`}
          min={1} max={MAX_API_CLIENT_EXPIRY_DAYS} allowDecimal={false} allowNegative={false}
          {...form.getInputProps('expiresInDays')} />
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={pending}>
            Create API Client
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Fills in an API client; the form starts empty each time. The tab creates it after proof, and the secret comes back once. */
export function NewApiClientDialog({ opened, onClose, ...props }: NewApiClientDialogProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="New API Client" size="lg" centered>
      <Text size="sm" c="dimmed" mb="md">
        An API client lets a tool (a PSA, an RMM, a script) call Gatehouse's API under /api/v1. You confirm it is you
        before it is created; its secret is then shown once.
      </Text>
      {opened && <NewApiClientForm {...props} onCancel={onClose} />}
    </Modal>
  );
}
