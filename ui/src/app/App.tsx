import {
  Caption1,
  MessageBar,
  MessageBarBody,
  NavDrawer,
  NavDrawerBody,
  NavItem,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { ShieldLockFilled } from "@fluentui/react-icons";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Session } from "../bindings";
import { sessionQuery } from "../features/session";
import { ErrorMessage } from "../shared/ErrorMessage";
import { LanguageSwitcher } from "../shared/LanguageSwitcher";
import { Loading } from "../shared/Loading";
import { DEFAULT_SCREEN, SCREEN_ICONS, SCREEN_IDS, isScreenId, renderScreen, type ScreenId } from "./screens";

const useStyles = makeStyles({
  root: {
    display: "flex",
    flexDirection: "column",
    height: "100%",
    backgroundColor: tokens.colorNeutralBackground2,
    color: tokens.colorNeutralForeground1,
  },
  header: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalL,
    paddingInline: tokens.spacingHorizontalL,
    paddingBlock: tokens.spacingVerticalS,
    backgroundColor: tokens.colorBrandBackground,
    color: tokens.colorNeutralForegroundOnBrand,
  },
  brand: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalS },
  brandIcon: { fontSize: tokens.fontSizeBase500 },
  context: {
    display: "flex",
    flexDirection: "column",
    marginInlineStart: "auto",
    textAlign: "end",
    minWidth: 0,
  },
  contextLine: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" },
  body: { display: "flex", flex: 1, minHeight: 0 },
  nav: { height: "auto" },
  // The selected item's bar is drawn just outside the item by default; WebKitGTK then leaves the
  // old bar on screen when the selection moves. Inside the item's left edge it is repainted.
  navItem: { "::after": { marginInlineStart: `calc(-1 * ${tokens.spacingHorizontalMNudge})` } },
  main: {
    flex: 1,
    overflow: "auto",
    padding: tokens.spacingHorizontalXXL,
    backgroundColor: tokens.colorNeutralBackground1,
  },
  banner: { borderRadius: 0 },
});

function TopBar({ session }: { session: Session | undefined }) {
  const { t } = useTranslation();
  const styles = useStyles();
  return (
    <header className={styles.header}>
      <div className={styles.brand}>
        <ShieldLockFilled className={styles.brandIcon} aria-hidden />
        <Text weight="semibold" size={400}>
          {t("app.name")}
        </Text>
      </div>
      {session ? (
        <div className={styles.context}>
          <Caption1 className={styles.contextLine}>
            {t("app.cloud")}: {session.cloud.name} · {t("app.tenant")}: {session.tenantId}
          </Caption1>
          <Caption1 className={styles.contextLine}>{t("app.signedInAs", { principal: session.principal })}</Caption1>
        </div>
      ) : (
        <div className={styles.context} />
      )}
      <LanguageSwitcher appearance="filled-darker" />
    </header>
  );
}

export function App() {
  const { t } = useTranslation();
  const styles = useStyles();
  const session = useQuery(sessionQuery());
  const [screen, setScreen] = useState<ScreenId>(DEFAULT_SCREEN);

  return (
    <div className={styles.root}>
      <TopBar session={session.data} />
      {session.isPending ? (
        <main className={styles.main}>
          <Loading label={t("app.signingIn")} centered size="medium" />
        </main>
      ) : session.isError ? (
        <main className={styles.main}>
          <ErrorMessage
            title={t("app.signInFailed")}
            error={session.error}
            onRetry={() => {
              void session.refetch();
            }}
          />
        </main>
      ) : (
        <>
          {session.data.simulated ? (
            <MessageBar intent="info" className={styles.banner}>
              <MessageBarBody>{t("app.sandboxBanner")}</MessageBarBody>
            </MessageBar>
          ) : null}
          <div className={styles.body}>
            <NavDrawer
              open
              type="inline"
              className={styles.nav}
              aria-label={t("app.navigation")}
              selectedValue={screen}
              onNavItemSelect={(_, data) => {
                if (isScreenId(data.value)) setScreen(data.value);
              }}
            >
              <NavDrawerBody>
                {SCREEN_IDS.map((id) => {
                  const Icon = SCREEN_ICONS[id];
                  return (
                    <NavItem key={id} value={id} icon={<Icon />} className={styles.navItem}>
                      {t(`nav.${id}`)}
                    </NavItem>
                  );
                })}
              </NavDrawerBody>
            </NavDrawer>
            <main className={styles.main}>{renderScreen(screen, t)}</main>
          </div>
        </>
      )}
    </div>
  );
}
