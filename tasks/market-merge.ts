export { merge as default } from "./market.js";
