export { OverviewScreen } from "./components/OverviewScreen";
