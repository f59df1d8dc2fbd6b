import { Modal, Text } from '@mantine/core';
import type { RegisteredModule } from '../../api';
import { ModuleForm } from './RegisterModuleDialog';

interface EditModuleDialogProps {
  /** The module edited, as last read; null: the dialog is closed. */
  module: RegisteredModule | null;
  onClose: () => void;
  onSaved: (module: RegisteredModule) => void;
  /** Reads the module as saved now and opens the dialog on it (an edit refused as made on an older one). */
  onShowCurrent: (moduleId: string) => Promise<unknown>;
}

/** Edits a registered module with Register's own fields, prefilled; its client type and secret stay. */
export function EditModuleDialog({ module, onClose, onSaved, onShowCurrent }: EditModuleDialogProps) {
  return (
    <Modal opened={module !== null} onClose={onClose} title={module ? `Edit ${module.name}` : 'Edit Module'} size="lg" centered>
      <Text size="sm" c="dimmed" mb="md">
        Changes apply to the next sign-in at once. Users already signed in stay signed in, and the module's tokens and
        client secret keep working.
      </Text>
      {module && (
        // A new form for each version: "Show Current Settings" starts it again from the module as saved now.
        <ModuleForm key={module.version} editing={module} onSaved={(saved) => onSaved(saved)} onCancel={onClose} onShowCurrent={() => onShowCurrent(module.id)} />
      )}
    </Modal>
  );
}
