export { accountsQuery } from "./queries";
export { AccountsScreen } from "./components/AccountsScreen";
