import { Anchor, Tabs, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { usePageTitle } from '../../hooks/usePageTitle';
import { useMe } from '../../session';
import { useTabParam } from '../../hooks/useTabParam';
import { isMaster } from '../../roles';
import { ApiClientsTab } from '../api-clients';
import { AuditLog } from '../audit/AuditLog';
import { ApprovalsTab } from './ApprovalsTab';
import { ComplianceTab } from './ComplianceTab';
import { GroupsTab } from './GroupsTab';
import { NoAccess } from '../../components/NoAccess';
import { PolicyTab } from './PolicyTab';
import { SsoTab } from './SsoTab';
import { UsersTab } from './UsersTab';

const tabs = ['users', 'groups', 'approvals', 'policy', 'sso', 'audit', 'compliance', 'api-clients'] as const;

/** Company administration for the Root Master and Masters. */
export function CompanyPage() {
  usePageTitle('Company');
  const me = useMe();
  const [tab, setTab] = useTabParam(tabs);

  return (
    <>
      <div>
        <Anchor component={Link} to="/" size="sm">
          ← Home
        </Anchor>
        <Title order={1} size="h2" mt={4}>
          {me.company.name}
        </Title>
        <Text size="sm" c="dimmed">
          Users, groups, security policy, audit log and API clients of your company.
        </Text>
      </div>
      {!isMaster(me) ? (
        <NoAccess place="company" />
      ) : (
        // Inactive panels unmount, so opening a tab always shows fresh data.
        <Tabs value={tab} onChange={setTab} keepMounted={false}>
          <Tabs.List mb="lg">
            <Tabs.Tab value="users">Users</Tabs.Tab>
            <Tabs.Tab value="groups">Groups</Tabs.Tab>
            <Tabs.Tab value="approvals">Approvals</Tabs.Tab>
            <Tabs.Tab value="policy">Security Policy</Tabs.Tab>
            <Tabs.Tab value="sso">Single Sign-On</Tabs.Tab>
            <Tabs.Tab value="audit">Audit Log</Tabs.Tab>
            <Tabs.Tab value="compliance">MFA Compliance</Tabs.Tab>
            <Tabs.Tab value="api-clients">API Clients</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="users">
            <UsersTab me={me} />
          </Tabs.Panel>
          <Tabs.Panel value="groups">
            <GroupsTab />
          </Tabs.Panel>
          <Tabs.Panel value="approvals">
            <ApprovalsTab me={me} />
          </Tabs.Panel>
          <Tabs.Panel value="policy">
            <PolicyTab />
          </Tabs.Panel>
          <Tabs.Panel value="sso">
            <SsoTab />
          </Tabs.Panel>
          <Tabs.Panel value="audit">
            <AuditLog scope="company" />
          </Tabs.Panel>
          <Tabs.Panel value="compliance">
            <ComplianceTab />
          </Tabs.Panel>
          <Tabs.Panel value="api-clients">
            <ApiClientsTab audience="company" />
          </Tabs.Panel>
        </Tabs>
      )}
    </>
  );
}
