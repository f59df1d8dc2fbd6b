import { api, type Me } from '../../api';
import { keys, useApiQuery } from '../../data';
import { CompanyModulesCard } from './CompanyModulesCard';
import { ModuleLauncher } from './ModuleLauncher';

const isMaster = (me: Me) => me.user.role === 'root_master' || me.user.role === 'master';

/** The launcher for everyone, and for Masters the switches that decide what it shows. */
export function ModulesSection({ me }: { me: Me }) {
  const launcher = useApiQuery(keys.launcher, api.modules);

  return (
    <>
      <ModuleLauncher modules={launcher.data?.modules ?? null} error={launcher.error} onRetry={() => void launcher.reload()} />
      {isMaster(me) && <CompanyModulesCard companyName={me.company.name} isOperator={me.user.isOperator} />}
    </>
  );
}
