export { GrantDialog } from "./components/GrantDialog";
