export { submit as default } from "./jury.js";
