import { Button, Code, Group, NativeSelect, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { auditApi, type AuditEvent, type AuditFilters, type AuditPage, type AuditScope } from '../../api/audit';
import { ExportCsvButton } from '../../components/ExportCsvButton';
import { ErrorAlert } from '../../components/ErrorAlert';
import { keys, useApiQuery } from '../../data';
import { LoadingState } from '../../components/LoadingState';
import { formErrors } from '../../forms/errors';
import { formatTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { describeUserAgent } from '../../userAgent';
import { LoadError } from '../../components/LoadError';
import { NoAccess } from '../../components/NoAccess';
import { actorText, detailText, targetText } from './auditText';
import { ScrollTable } from '../../components/ScrollTable';

const EMPTY: AuditFilters = { action: '', from: '', to: '', companyId: '' };

interface AuditLogProps {
  scope: AuditScope;
  /** Operators filter by company; Masters only ever see their own. */
  companies?: { id: string; name: string }[];
}

function EventRow({ event, withCompany }: { event: AuditEvent; withCompany: boolean }) {
  const detail = detailText(event);
  const target = targetText(event);
  return (
    <Table.Tr>
      <Table.Td><Text size="sm" style={{ whiteSpace: 'nowrap' }}>{formatTime(event.time)}</Text></Table.Td>
      {withCompany && <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{event.companyName ?? 'Platform'}</Text></Table.Td>}
      <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{actorText(event)}</Text></Table.Td>
      <Table.Td><Code fz="xs">{event.action}</Code></Table.Td>
      <Table.Td>
        <Text size="sm" maw={180} truncate="end" title={event.target ?? undefined}>{target}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{event.ip ?? '—'}</Text>
        {event.userAgent && (
          <Tooltip label={event.userAgent} multiline maw={360} withArrow>
            <Text size="xs" c="dimmed" tabIndex={0} style={{ width: 'fit-content' }}>{describeUserAgent(event.userAgent)}</Text>
          </Tooltip>
        )}
      </Table.Td>
      <Table.Td>
        <Text size="xs" maw={320} lineClamp={2} title={detail || undefined} style={{ overflowWrap: 'anywhere' }}>
          {detail}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * The audit trail, newest first, with filters; "Load More" follows the server's cursor and
 * "Export CSV" downloads what the same filters select (up to the server's limit).
 */
export function AuditLog({ scope, companies }: AuditLogProps) {
  const [typed, setTyped] = useState<AuditFilters>(EMPTY);
  const [applied, setApplied] = useState<AuditFilters>(EMPTY);
  const first = useApiQuery(keys.audit(scope, applied), () => auditApi.page(scope, applied));
  const [older, setOlder] = useState<AuditPage[]>([]);
  const more = useAction();
  const { setError: setMoreError } = more;

  // A new first page (other filters, a refresh) starts the list again.
  useEffect(() => {
    setOlder([]);
    setMoreError(null);
  }, [first.updatedAt, setMoreError]);

  const events = [...(first.data?.events ?? []), ...older.flatMap((page) => page.events)];
  const nextCursor = older.length ? (older.at(-1)?.nextCursor ?? null) : (first.data?.nextCursor ?? null);
  // A malformed filter answers 400 with the field named: show it under that input.
  const filterError = first.error?.status === 400 ? first.error : null;
  const { fields, summary } = formErrors(filterError);
  // A filter's message is about the value that was applied: editing the filter removes it.
  // A date typed halfway (a year of two digits) is no value to the browser: filtering on
  // it would quietly show everything. Such a field is named, and nothing is applied.
  const dateInputs = { from: useRef<HTMLInputElement>(null), to: useRef<HTMLInputElement>(null) };
  const [unfinishedDates, setUnfinishedDates] = useState<Array<'from' | 'to'>>([]);
  const fieldError = (key: keyof AuditFilters) => {
    if ((key === 'from' || key === 'to') && unfinishedDates.includes(key)) return 'Enter a whole date, or clear the field.';
    return typed[key] === applied[key] ? fields[key] : undefined;
  };

  const onFilter = (event: FormEvent) => {
    event.preventDefault();
    const unfinished = (['from', 'to'] as const).filter((key) => dateInputs[key].current?.validity.badInput);
    setUnfinishedDates(unfinished);
    if (unfinished.length > 0) return;
    setApplied({ ...typed });
  };
  const onClear = () => {
    setUnfinishedDates([]);
    setTyped(EMPTY);
    setApplied(EMPTY);
  };
  const onMore = async () => {
    if (!nextCursor) return;
    const page = await more.run(() => auditApi.page(scope, applied, nextCursor));
    if (page) setOlder((current) => [...current, page]);
  };
  const set = (key: keyof AuditFilters) => (event: { currentTarget: { value: string } }) => {
    const value = event.currentTarget.value;
    setTyped((current) => ({ ...current, [key]: value }));
  };

  if (first.error?.status === 403) return <NoAccess place={scope} />;

  return (
    <Stack gap="md">
      <form onSubmit={onFilter} noValidate aria-label="Filter the audit log">
        <Group align="flex-start" gap="sm" wrap="wrap">
          {companies && (
            <NativeSelect
              label="Company"
              size="sm"
              w={220}
              value={typed.companyId}
              onChange={set('companyId')}
              data={[{ value: '', label: 'All companies' }, ...companies.map((c) => ({ value: c.id, label: c.name }))]}
              error={fieldError('companyId')}
            />
          )}
          <TextInput
            label="Action"
            size="sm"
            w={220}
            placeholder="login.failed or login."
            description="Exact, or a prefix ending in a dot"
            spellCheck={false}
            autoCapitalize="none"
            value={typed.action}
            onChange={set('action')}
            error={fieldError('action')}
          />
          <TextInput ref={dateInputs.from} label="From" type="date" size="sm" w={170} description="Whole days, UTC" value={typed.from} onChange={set('from')} error={fieldError('from')} />
          <TextInput ref={dateInputs.to} label="To" type="date" size="sm" w={170} description="Inclusive" value={typed.to} onChange={set('to')} error={fieldError('to')} />
          <Group gap="xs" mt={46}>
            <Button type="submit" size="sm">Filter</Button>
            <Button variant="default" size="sm" onClick={onClear}>Clear</Button>
          </Group>
        </Group>
      </form>

      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Newest first. Every security event is kept; nothing here can be changed or deleted.
        </Text>
        <Group gap="xs">
          <Button variant="default" size="sm" onClick={() => void first.reload()} loading={first.loading && first.data !== null}>
            Refresh
          </Button>
          <ExportCsvButton href={auditApi.csvUrl(scope, applied)} />
        </Group>
      </Group>

      {filterError ? <ErrorAlert message={summary} /> : first.error && <LoadError place={scope} error={first.error} onRetry={() => void first.reload()} />}
      {!first.error && first.data === null && <LoadingState label="Loading the audit log…" />}
      {!first.error && first.data !== null && events.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">No events match these filters.</Text>
      )}
      {!first.error && events.length > 0 && (
        <ScrollTable label="Audit log" minWidth={companies ? 1080 : 940}>
          <Table verticalSpacing="xs" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                {companies && <Table.Th>Company</Table.Th>}
                <Table.Th>Actor</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Target</Table.Th>
                <Table.Th>IP and browser</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map((event) => (
                <EventRow key={event.id} event={event} withCompany={Boolean(companies)} />
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <ErrorAlert message={more.error?.message} />
      {!first.error && nextCursor && (
        <Group justify="center">
          <Button variant="default" onClick={() => void onMore()} loading={more.pending}>
            Load More
          </Button>
        </Group>
      )}
      {!first.error && first.data !== null && events.length > 0 && !nextCursor && (
        <Text size="xs" c="dimmed" ta="center">
          {events.length} {events.length === 1 ? 'event' : 'events'}; that is all.
        </Text>
      )}
    </Stack>
  );
}
