import { createTheme, type CSSVariablesResolver, type MantineColorsTuple } from '@mantine/core';

const gatehouse: MantineColorsTuple = [
  '#eaf1fb',
  '#d3e0f3',
  '#a6bfe6',
  '#769cd9',
  '#4e7ece',
  '#356bc7',
  '#2761c5',
  '#1a50ae',
  '#12479c',
  '#033d8a',
];

export const theme = createTheme({
  colors: { gatehouse },
  primaryColor: 'gatehouse',
  // Shade 7 keeps white button text above 4.5:1 contrast.
  primaryShade: 7,
  defaultRadius: 'md',
  headings: { fontWeight: '650' },
  components: {
    // No asterisks: an optional field says "(optional)" instead, and labels stay exactly
    // the words the product uses ("Company Name", not "Company Name *").
    TextInput: { defaultProps: { size: 'md', withAsterisk: false } },
    PasswordInput: { defaultProps: { size: 'md', withAsterisk: false } },
    Textarea: { defaultProps: { size: 'md', withAsterisk: false } },
    // Mantine leaves the dialog's close button without a name.
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
  },
});

// Mantine's default dimmed grey and error red are below 4.5:1 on white; darker shades pass
// WCAG AA for the small text they are used for (hints, messages under inputs).
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
  },
  dark: {},
});
