export { create as default } from "./market.js";
