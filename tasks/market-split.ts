export { split as default } from "./market.js";
