export { EncryptedVmsScreen } from "./components/EncryptedVmsScreen";
export { KeyVaultsScreen } from "./components/KeyVaultsScreen";
export { useInventory } from "./queries";
