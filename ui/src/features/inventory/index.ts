export { EncryptedVmsScreen } from "./components/EncryptedVmsScreen";
export { KeyVaultsScreen } from "./components/KeyVaultsScreen";
export { useInventory } from "./queries";
export { permissionList } from "./findings";
export { scanInventoryQuery } from "./queries";
