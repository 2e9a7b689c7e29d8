export { budgetTask as default } from "./dfRounds.js";
