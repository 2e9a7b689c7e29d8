export { buy as default } from "./market.js";
