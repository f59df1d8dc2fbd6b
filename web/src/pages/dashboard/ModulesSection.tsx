import { useCallback } from 'react';
import { api, type Me } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { CompanyModulesCard } from './CompanyModulesCard';
import { ModuleLauncher } from './ModuleLauncher';

const isMaster = (me: Me) => me.user.role === 'root_master' || me.user.role === 'master';

/** The launcher for everyone, and for Masters the switches that decide what it shows. */
export function ModulesSection({ me }: { me: Me }) {
  const load = useCallback(() => api.modules(), []);
  const launcher = useLoad(load);

  return (
    <>
      <ModuleLauncher modules={launcher.data?.modules ?? null} error={launcher.error} onRetry={() => void launcher.reload()} />
      {isMaster(me) && <CompanyModulesCard companyName={me.company.name} isOperator={me.user.isOperator} onChanged={() => void launcher.reload()} />}
    </>
  );
}
