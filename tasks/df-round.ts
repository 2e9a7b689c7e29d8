export { roundTask as default } from "./dfRounds.js";
