import { createTheme, type CSSVariablesResolver, type MantineColorsTuple } from '@mantine/core';
import { darken, readableOn } from './contrast';

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
  // A user whose system asks for less motion gets dialogs and menus without their fade
  // and slide (WCAG 2.3.3).
  respectReducedMotion: true,
  components: {
    // No asterisks: an optional field says "(optional)" instead, and labels stay exactly
    // the words the product uses ("Company Name", not "Company Name *").
    TextInput: { defaultProps: { size: 'md', withAsterisk: false } },
    PasswordInput: { defaultProps: { size: 'md', withAsterisk: false } },
    Textarea: { defaultProps: { size: 'md', withAsterisk: false } },
    // Mantine leaves the dialog's close button without a name.
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
    // A link inside a sentence must not be told apart by colour alone (WCAG 1.4.1).
    Anchor: { defaultProps: { underline: 'always' } },
    // Mantine's focus placeholder is a focusable child of role="menu" that is not a
    // menuitem (an ARIA violation); without it, opening a menu focuses its first item.
    Menu: { defaultProps: { withInitialFocusPlaceholder: false } },
  },
});

// Mantine's default dimmed grey and error red are below 4.5:1 on white; darker shades pass
// WCAG AA for the small text they are used for (hints, messages under inputs). Its light
// variants (badges, alerts: shade 9 on shade 1) and white on filled shades fall short for
// several colours, and so does its placeholder grey: those are darkened just enough.
export const cssVariablesResolver: CSSVariablesResolver = (resolved) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    '--mantine-color-placeholder': readableOn(resolved.colors.gray[5], ['#ffffff']),
    ...Object.fromEntries(
      Object.entries(resolved.colors).flatMap(([name, shades]) => {
        const filled = readableOn(shades[7], ['#ffffff']);
        return [
          [`--mantine-color-${name}-light-color`, readableOn(shades[9], [shades[1], shades[2]])],
          [`--mantine-color-${name}-filled`, filled],
          [`--mantine-color-${name}-filled-hover`, darken(filled, 0.12)],
        ];
      }),
    ),
  },
  dark: {},
});
