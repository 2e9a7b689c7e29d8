export { redeem as default } from "./market.js";
