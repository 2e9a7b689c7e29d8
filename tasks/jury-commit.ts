export { commit as default } from "./jury.js";
