// Props for every PasswordInput. Mantine names its show/hide button "Toggle password
// visibility", which also matches a search for the "Password" label (Playwright's getByLabel
// reads aria-label too); this name avoids that, and the button is reachable by keyboard.
export const visibilityToggle = {
  visibilityToggleFocusable: true,
  visibilityToggleButtonProps: { 'aria-label': 'Show typed characters' },
} as const;
