export { prices as default } from "./market.js";
