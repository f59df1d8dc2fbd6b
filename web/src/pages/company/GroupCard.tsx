import { Autocomplete, Button, Card, Checkbox, CloseButton, Group as Row, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { ApiError, type CompanyModule } from '../../api';
import type { CompanyUser } from '../../api/admin';
import { groupsApi, type Group } from '../../api/groups';
import { ChangedMeanwhileAlert, CHANGED_MEANWHILE } from '../../components/ChangedMeanwhileAlert';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useAction } from '../../hooks/useAction';

interface GroupCardProps {
  group: Group;
  users: CompanyUser[];
  modules: CompanyModule[];
  onRename: () => void;
  onDelete: () => void;
  /** After a change: the groups list and the launcher refetch. */
  onChanged: () => Promise<unknown>;
}

/** One group: its members (add, remove) and the modules they may use (ticked). */
export function GroupCard({ group, users, modules, onRename, onDelete, onChanged }: GroupCardProps) {
  const action = useAction();
  const [chosen, setChosen] = useState('');
  const headingId = `group-${group.id}`;
  const memberIds = new Set(group.members.map((m) => m.id));
  const candidates = users.filter((u) => !memberIds.has(u.id));
  const ticked = new Set(group.modules.map((m) => m.id));

  // Busy until the list is read again: a second tick made on the card before its answer
  // arrived would be made on the old ticks (and be refused as made on an old version).
  const change = (call: () => Promise<unknown>) =>
    action.run(async () => {
      await call();
      await onChanged();
      return true;
    });
  // Typed or picked by username; the server wants the id.
  const addMember = async () => {
    const user = candidates.find((u) => u.username.toLowerCase() === chosen.trim().toLowerCase());
    if (!user) {
      action.setError(new ApiError(0, 'client.no_such_user', `No user "${chosen.trim()}" outside this group in your company.`));
      return;
    }
    await change(() => groupsApi.addMember(group.id, user.id));
    setChosen('');
  };
  const toggleModule = (moduleId: string, on: boolean) => {
    // From the group's own modules, the one ticked added or taken away: the company's list
    // this page loaded may lack a module granted since that another Master gave the group.
    const next = [...ticked].filter((id) => id !== moduleId).concat(on ? [moduleId] : []);
    // Made on the ticks this card shows: another Master's choice since is not undone.
    void change(() => groupsApi.setModules(group.id, next, group.modulesVersion));
  };

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={headingId}>
      <Row justify="space-between" align="flex-start" mb="sm">
        <Title order={3} size="h4" id={headingId} style={{ overflowWrap: 'anywhere' }}>
          {group.name}
        </Title>
        <Row gap="xs">
          <Button size="xs" variant="default" onClick={onRename} aria-label={`Rename ${group.name}`}>
            Rename
          </Button>
          <Button size="xs" variant="light" color="red" onClick={onDelete} aria-label={`Delete ${group.name}`}>
            Delete
          </Button>
        </Row>
      </Row>
      <Stack gap="md">
        {action.error?.code === CHANGED_MEANWHILE ? (
          <ChangedMeanwhileAlert
            message={action.error.message}
            onShowCurrent={async () => {
              await onChanged();
              action.setError(null);
            }}
          />
        ) : (
          <ErrorAlert message={action.error?.message} />
        )}
        <div>
          <Text fw={600} size="sm" mb={4}>
            Members
          </Text>
          {group.members.length === 0 && (
            <Text size="sm" c="dimmed">
              No members yet.
            </Text>
          )}
          <Stack gap={4} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {group.members.map((member) => (
              <Row key={member.id} component="li" gap="xs" wrap="nowrap">
                <Text size="sm" miw={0} style={{ overflowWrap: 'anywhere' }}>
                  {member.username}
                  {member.displayName && member.displayName !== member.username && (
                    <Text span c="dimmed"> ({member.displayName})</Text>
                  )}
                </Text>
                <CloseButton
                  size="sm"
                  aria-label={`Remove ${member.username} from ${group.name}`}
                  disabled={action.pending}
                  onClick={() => void change(() => groupsApi.removeMember(group.id, member.id))}
                />
              </Row>
            ))}
          </Stack>
          {candidates.length > 0 && (
            <Row gap="xs" mt="xs" align="flex-end">
              <Autocomplete
                label={`Add a user to ${group.name}`}
                placeholder="Username"
                size="xs"
                value={chosen}
                onChange={setChosen}
                data={candidates.map((u) => u.username)}
                autoComplete="off"
                onKeyDown={(event) => {
                  if (event.key === 'Enter') void addMember();
                }}
              />
              <Button size="xs" onClick={() => void addMember()} disabled={!chosen.trim()} loading={action.pending} aria-label={`Add Member to ${group.name}`}>
                Add Member
              </Button>
            </Row>
          )}
        </div>
        <div>
          <Text fw={600} size="sm" mb={4}>
            Modules
          </Text>
          {modules.length === 0 ? (
            <Text size="sm" c="dimmed">
              Your company has no modules yet.
            </Text>
          ) : (
            <Stack gap={6}>
              {modules.map((module) => (
                <Checkbox
                  key={module.id}
                  label={`${group.name} may use ${module.name}`}
                  description={module.enabled ? undefined : 'Switched off for the whole company on the home page.'}
                  checked={ticked.has(module.id)}
                  disabled={action.pending}
                  onChange={(event) => toggleModule(module.id, event.currentTarget.checked)}
                />
              ))}
            </Stack>
          )}
        </div>
      </Stack>
    </Card>
  );
}
