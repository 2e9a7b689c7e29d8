export { keeperTask as default } from "./dfRounds.js";
