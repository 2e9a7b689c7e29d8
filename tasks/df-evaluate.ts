export { evaluateTask as default } from "./dfRounds.js";
