import {
  FluentProvider,
  makeStyles,
  teamsHighContrastTheme,
  webDarkTheme,
  webLightTheme,
  type Theme,
} from "@fluentui/react-components";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import type { i18n } from "i18next";
import type { ReactNode } from "react";
import { I18nextProvider } from "react-i18next";
import { useColorScheme, type ColorScheme } from "../shared/useColorScheme";

const THEMES: Record<ColorScheme, Theme> = {
  light: webLightTheme,
  dark: webDarkTheme,
  highContrast: teamsHighContrastTheme,
};

const useStyles = makeStyles({
  fill: { height: "100%" },
});

export function AppProviders(props: { queryClient: QueryClient; i18n: i18n; children: ReactNode }) {
  const scheme = useColorScheme();
  const styles = useStyles();
  return (
    <I18nextProvider i18n={props.i18n}>
      <QueryClientProvider client={props.queryClient}>
        <FluentProvider theme={THEMES[scheme]} className={styles.fill}>
          {props.children}
        </FluentProvider>
      </QueryClientProvider>
    </I18nextProvider>
  );
}
