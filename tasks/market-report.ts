export { report as default } from "./market.js";
