import { Anchor, Tabs, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { usePageTitle } from '../../hooks/usePageTitle';
import { useMe } from '../../session';
import { useTabParam } from '../../hooks/useTabParam';
import { ApiClientsTab } from '../api-clients';
import { AuditTab } from './AuditTab';
import { CompaniesTab } from './CompaniesTab';
import { ComplianceTab } from './ComplianceTab';
import { NoAccess } from '../../components/NoAccess';
import { MailboxTab } from './MailboxTab';
import { ModulesTab } from './ModulesTab';
import { RequestsTab } from './RequestsTab';

const tabs = ['requests', 'companies', 'modules', 'mailbox', 'audit', 'compliance', 'api-clients'] as const;

export function OperatorPage() {
  usePageTitle('Operator Console');
  const me = useMe();
  const [tab, setTab] = useTabParam(tabs);

  return (
    <>
      <div>
        <Anchor component={Link} to="/" size="sm">
          ← Home
        </Anchor>
        <Title order={1} size="h2" mt={4}>
          Operator Console
        </Title>
        <Text size="sm" c="dimmed">
          Company account requests are answered within 24 to 48 hours.
        </Text>
      </div>
      {!me.user.isOperator ? (
        <NoAccess place="operator" />
      ) : (
        // Inactive panels unmount, so opening a tab always shows fresh data.
        <Tabs value={tab} onChange={setTab} keepMounted={false}>
          <Tabs.List mb="lg">
            <Tabs.Tab value="requests">Requests</Tabs.Tab>
            <Tabs.Tab value="companies">Companies</Tabs.Tab>
            <Tabs.Tab value="modules">Modules</Tabs.Tab>
            <Tabs.Tab value="mailbox">Mailbox</Tabs.Tab>
            <Tabs.Tab value="audit">Audit Log</Tabs.Tab>
            <Tabs.Tab value="compliance">MFA Compliance</Tabs.Tab>
            <Tabs.Tab value="api-clients">API Clients</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="requests">
            <RequestsTab />
          </Tabs.Panel>
          <Tabs.Panel value="companies">
            <CompaniesTab />
          </Tabs.Panel>
          <Tabs.Panel value="modules">
            <ModulesTab />
          </Tabs.Panel>
          <Tabs.Panel value="mailbox">
            <MailboxTab />
          </Tabs.Panel>
          <Tabs.Panel value="audit">
            <AuditTab />
          </Tabs.Panel>
          <Tabs.Panel value="compliance">
            <ComplianceTab />
          </Tabs.Panel>
          <Tabs.Panel value="api-clients">
            <ApiClientsTab audience="operator" />
          </Tabs.Panel>
        </Tabs>
      )}
    </>
  );
}
