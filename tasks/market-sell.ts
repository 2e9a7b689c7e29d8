export { sell as default } from "./market.js";
