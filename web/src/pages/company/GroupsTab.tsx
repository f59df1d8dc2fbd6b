import { Button, Group as Row, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { api } from '../../api';
import { adminApi } from '../../api/admin';
import { groupsApi, type Group } from '../../api/groups';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { LoadError } from '../../components/LoadError';
import { LoadingState } from '../../components/LoadingState';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { GroupCard } from './GroupCard';
import { GroupNameDialog } from './GroupNameDialog';

type Dialog = { kind: 'name'; group: Group | null } | { kind: 'delete'; group: Group } | null;

/**
 * Groups decide who gets a module: a module no group has is for everyone in the company;
 * once a group has it, only that group's members (Masters included) see it and log in to it.
 */
export function GroupsTab() {
  const groups = useApiQuery(keys.company.groups, groupsApi.list);
  const users = useApiQuery(keys.company.users, adminApi.users);
  const modules = useApiQuery(keys.company.modules, api.company.modules);
  const invalidate = useInvalidate();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  // The company's modules too: one granted since this page loaded shows as a box to tick.
  const changed = () => invalidate(keys.company.groups, keys.company.modules, keys.launcher);

  const error = groups.error ?? users.error ?? modules.error;
  const loaded = groups.data && users.data && modules.data ? { groups: groups.data.groups, users: users.data.users, modules: modules.data.modules } : null;

  return (
    <Stack gap="md">
      <Row justify="space-between" align="flex-start">
        <Text size="sm" c="dimmed" maw={640}>
          A module no group has is on every user's home page. Once you give a module to a group, only the members of the groups
          that have it see it and can log in to it, Masters included.
        </Text>
        <Button onClick={() => setDialog({ kind: 'name', group: null })}>New Group</Button>
      </Row>
      {error && <LoadError error={error} place="company" onRetry={() => void Promise.all([groups.reload(), users.reload(), modules.reload()])} />}
      {!error && !loaded && <LoadingState label="Loading groups…" />}
      {loaded && loaded.groups.length === 0 && (
        <Text size="sm">No groups yet: every user gets every module your company has switched on.</Text>
      )}
      {loaded &&
        loaded.groups.map((group) => (
          <GroupCard
            key={group.id}
            group={group}
            users={loaded.users}
            modules={loaded.modules}
            onRename={() => setDialog({ kind: 'name', group })}
            onDelete={() => setDialog({ kind: 'delete', group })}
            onChanged={changed}
          />
        ))}
      <GroupNameDialog
        opened={dialog?.kind === 'name'}
        group={dialog?.kind === 'name' ? dialog.group : null}
        onClose={close}
        onSaved={() => {
          close();
          void changed();
        }}
      />
      <ConfirmDialog
        opened={dialog?.kind === 'delete'}
        title="Delete Group"
        confirmLabel="Delete Group"
        danger
        onClose={close}
        onConfirm={() => (dialog?.kind === 'delete' ? groupsApi.remove(dialog.group.id) : Promise.resolve(undefined))}
        onDone={() => {
          close();
          void changed();
        }}
      >
        <Text size="sm">
          Delete {dialog?.kind === 'delete' ? dialog.group.name : 'this group'}? Its members lose the modules only this group gave
          them, at once; a module no other group has becomes available to everyone.
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}
