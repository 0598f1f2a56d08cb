export { subscriptionsQuery, vaultsQuery } from "./queries";
export { VaultsScreen } from "./components/VaultsScreen";
