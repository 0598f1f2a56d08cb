// The screens of the left navigation, in order. Screens that are not built yet say what they will do.
import {
  ArrowCounterclockwiseFilled,
  ArrowCounterclockwiseRegular,
  DesktopKeyboardFilled,
  DesktopKeyboardRegular,
  HistoryFilled,
  HistoryRegular,
  PeopleFilled,
  PeopleRegular,
  HomeFilled,
  HomeRegular,
  KeyMultipleFilled,
  KeyMultipleRegular,
  SettingsFilled,
  SettingsRegular,
  StethoscopeFilled,
  StethoscopeRegular,
  TaskListLtrFilled,
  TaskListLtrRegular,
  VaultFilled,
  VaultRegular,
  bundleIcon,
  type FluentIcon,
} from "@fluentui/react-icons";
import type { ReactNode } from "react";
import type { TFunction } from "i18next";
import { AccountsScreen } from "../features/accounts";
import { ActivityScreen } from "../features/activity";
import { EncryptedVmsScreen, KeyVaultsScreen } from "../features/inventory";
import { OverviewScreen } from "../features/overview";
import { SettingsScreen } from "../features/settings";
import { VaultsScreen } from "../features/vaults";
import { ComingSoon } from "../shared/ComingSoon";

export const SCREEN_IDS = [
  "overview",
  "vaults",
  "encryptedVms",
  "keyVaults",
  "jobs",
  "restore",
  "troubleshoot",
  "activity",
  "accounts",
  "settings",
] as const;
export type ScreenId = (typeof SCREEN_IDS)[number];

export const DEFAULT_SCREEN: ScreenId = "vaults";

export function isScreenId(value: unknown): value is ScreenId {
  return typeof value === "string" && (SCREEN_IDS as readonly string[]).includes(value);
}

export const SCREEN_ICONS: Record<ScreenId, FluentIcon> = {
  overview: bundleIcon(HomeFilled, HomeRegular),
  vaults: bundleIcon(VaultFilled, VaultRegular),
  encryptedVms: bundleIcon(DesktopKeyboardFilled, DesktopKeyboardRegular),
  keyVaults: bundleIcon(KeyMultipleFilled, KeyMultipleRegular),
  jobs: bundleIcon(TaskListLtrFilled, TaskListLtrRegular),
  restore: bundleIcon(ArrowCounterclockwiseFilled, ArrowCounterclockwiseRegular),
  troubleshoot: bundleIcon(StethoscopeFilled, StethoscopeRegular),
  activity: bundleIcon(HistoryFilled, HistoryRegular),
  accounts: bundleIcon(PeopleFilled, PeopleRegular),
  settings: bundleIcon(SettingsFilled, SettingsRegular),
};

export function renderScreen(id: ScreenId, t: TFunction): ReactNode {
  switch (id) {
    case "overview":
      return <OverviewScreen />;
    case "vaults":
      return <VaultsScreen />;
    case "accounts":
      return <AccountsScreen />;
    case "settings":
      return <SettingsScreen />;
    case "encryptedVms":
      return <EncryptedVmsScreen />;
    case "keyVaults":
      return <KeyVaultsScreen />;
    case "activity":
      return <ActivityScreen />;
    case "jobs":
    case "restore":
    case "troubleshoot":
      return <ComingSoon title={t(`nav.${id}`)} description={t(`placeholder.${id}`)} />;
  }
}
