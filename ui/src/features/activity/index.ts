export { ActivityScreen } from "./components/ActivityScreen";
export { activityKey } from "./queries";
