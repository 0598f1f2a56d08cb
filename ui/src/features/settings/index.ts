export { appInfoQuery } from "./queries";
export { SettingsScreen } from "./components/SettingsScreen";
