export { condition as default } from "./market.js";
