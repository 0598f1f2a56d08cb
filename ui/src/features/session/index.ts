export { sessionQuery } from "./queries";
